/**
 * The client in a real browser (Chromium through Playwright), against the same loopback
 * servers as the Node tests: the page imports the client bundled by esbuild from
 * `src/index.ts`, logs in through the page server's `/login` (which gets a user token from the
 * token service), calls the custom API through the relay with `secureRequest`, signs requests
 * to a verifier-protected server with a non-extractable Web Crypto key, and sees a request
 * tampered with after signing refused. Results are asserted here, from Node.
 *
 * This test never skips: without Chromium it fails and says how to get it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Stack, startStack } from './helpers/stack.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const root = fileURLToPath(new URL('..', import.meta.url))

let stack: Stack
let browser: Browser
let page: Page
const pageErrors: string[] = []

/** Bundles the client (and core's Web Crypto keys for the page) as browser ES modules. */
async function bundleForBrowser(): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: {
      client: `${root}/src/index.ts`,
      core: `${root}/test/fixtures/browser-core.ts`,
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/bundle',
    write: false,
    logLevel: 'silent',
  })
  const files = new Map<string, string>()
  for (const file of result.outputFiles) {
    files.set(`/${basename(file.path)}`, file.text)
  }
  return files
}

/** Set when the setup failed: every test then fails with it (a failed beforeAll would skip them). */
let setupError: Error | undefined

function ready(): void {
  if (setupError !== undefined) {
    throw setupError
  }
}

beforeAll(async () => {
  try {
    await setUp()
  } catch (error) {
    setupError = error as Error
  }
}, 60_000)

async function setUp(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set ` +
        'CHROMIUM_PATH. The browser test does not skip.',
    )
  }
  stack = await startStack()
  for (const [path, text] of await bundleForBrowser()) {
    stack.web.assets.set(path, { type: 'text/javascript; charset=utf-8', body: text })
  }
  stack.web.assets.set('/', {
    type: 'text/html; charset=utf-8',
    body: readFileSync(`${root}/test/fixtures/page.html`, 'utf8'),
  })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const context = await browser.newContext()
  // Loopback only: anything else the page tries is refused.
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => route.abort('blockedbyclient'),
  )
  page = await context.newPage()
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(`${stack.web.url}/`)
  await page.waitForFunction(() => (window as unknown as { csReady?: boolean }).csReady === true)
}

afterAll(async () => {
  await browser?.close()
  await stack?.close()
})

/** Types of what the page sees (the bundle's exports), for page.evaluate callbacks. */
type PageWindow = Window & {
  cs: {
    client: typeof import('../src/index.ts')
    core: typeof import('./fixtures/browser-core.ts')
  }
}

describe('in Chromium', () => {
  it('starts Chromium and loads the bundled client', () => {
    ready()
    expect(pageErrors).toEqual([])
  })

  it('logs in, and secureRequest reaches the custom API through the relay', async () => {
    ready()
    const before = stack.web.logins
    const result = await page.evaluate(
      async ({ relayUrl, apiUrl }) => {
        const { createClient, isCountersignError } = (window as unknown as PageWindow).cs.client
        const client = createClient({
          relayUrl,
          session: async () => {
            const answer = await fetch('/login', { method: 'POST' })
            const body = (await answer.json()) as { access_token: string; expires_at: number }
            return { token: body.access_token, expiresAt: body.expires_at * 1000 }
          },
        })
        const answer = await client.secureRequest<{
          user: unknown
          data: unknown
          requestId: string
        }>({
          url: `${apiUrl}/api/echo`,
          data: { hello: 'from the browser', list: [1, 2, 3] },
        })
        const many = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            client.secureRequest<{ data: number }>({ url: `${apiUrl}/api/echo`, data: i }),
          ),
        )
        const failures: Record<string, unknown> = {}
        const attempt = async (name: string, call: () => Promise<unknown>) => {
          try {
            await call()
            failures[name] = 'resolved'
          } catch (error) {
            const e = error as Error & { code?: string; status?: number; data?: unknown }
            failures[name] = {
              name: e.name,
              code: e.code,
              status: e.status,
              data: e.data,
              countersign: isCountersignError(e),
              message: e.message,
            }
          }
        }
        await attempt('forbidden', () => client.secureRequest({ url: `${apiUrl}/admin`, data: {} }))
        await attempt('conflict', () =>
          client.secureRequest({ url: `${apiUrl}/api/conflict`, data: { id: 1 } }),
        )
        await attempt('form', () =>
          client.secureRequest({ url: `${apiUrl}/api/echo`, data: new FormData() }),
        )
        await attempt('anonymous', () =>
          createClient({ relayUrl }).secureRequest({ url: `${apiUrl}/api/echo`, data: {} }),
        )
        const batch = await client.secureRequest([
          { url: `${apiUrl}/api/echo`, data: 'a' },
          { url: `${apiUrl}/elsewhere`, data: 'b' },
        ])
        return {
          status: answer.status,
          data: answer.data,
          requestId: answer.requestId,
          many: many.map((r) => r.data.data),
          failures,
          batch: batch.map((item) => ({
            ok: item.ok,
            status: item.status,
            error: item.ok ? undefined : item.error.code,
          })),
        }
      },
      { relayUrl: stack.relay.url, apiUrl: stack.api.url },
    )
    expect(result.status).toBe(200)
    expect(result.data).toMatchObject({
      user: { user_id: 'u_ada', name: 'Ada' },
      data: { hello: 'from the browser', list: [1, 2, 3] },
    })
    // x-request-id is exposed by the relay's CORS answer.
    expect(result.requestId).toMatch(/^req_/)
    expect(result.many).toEqual(Array.from({ length: 20 }, (_, i) => i))
    // One login for all 21 calls.
    expect(stack.web.logins - before).toBe(1)
    expect(result.failures.forbidden).toMatchObject({
      name: 'RelayError',
      code: 'target_forbidden',
      status: 403,
      countersign: true,
    })
    expect(result.failures.conflict).toMatchObject({
      name: 'ApiError',
      code: 'api_error',
      status: 409,
      data: { error: 'conflict' },
      countersign: false,
    })
    expect(result.failures.form).toMatchObject({ name: 'TypeError' })
    expect((result.failures.form as { message: string }).message).toMatch(/FormData/)
    expect(result.failures.anonymous).toMatchObject({
      name: 'AuthError',
      code: 'not_logged_in',
      countersign: true,
    })
    expect(result.batch).toEqual([
      { ok: true, status: 200 },
      { ok: false, status: 403, error: 'target_forbidden' },
    ])
  }, 60_000)

  it('signs fetches with a non-extractable key; a tampered request gets a coded 401', async () => {
    ready()
    const result = await page.evaluate(
      async ({ protectedUrl }) => {
        const { createClient, rfc9421Signing } = (window as unknown as PageWindow).cs.client
        const { webBackend } = (window as unknown as PageWindow).cs.core
        const register = (jwk: JsonWebKey) =>
          fetch(`${protectedUrl}/keys`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(jwk),
          })

        // A key pair from core's Web Crypto backend; the private key never leaves Web Crypto.
        const pair = await webBackend.generateKeyPair('ed25519', {
          keyId: 'browser-ed25519',
          extractable: false,
        })
        await register(pair.publicKey.publicJwk() as JsonWebKey)
        const client = createClient({ signing: rfc9421Signing({ key: pair.privateKey }) })
        const order = JSON.stringify({ item: 'book', qty: 1 })
        const signed = await client.fetch(`${protectedUrl}/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: order,
        })
        const get = await client.fetch(`${protectedUrl}/v1/orders?page=2`)

        // The same request, changed on the way after it was signed.
        const tampering = createClient({
          signing: rfc9421Signing({ key: pair.privateKey }),
          fetch: (request) =>
            fetch(
              new Request(request.url, {
                method: request.method,
                headers: request.headers,
                body: JSON.stringify({ item: 'book', qty: 1000 }),
              }),
            ),
        })
        const tampered = await tampering.fetch(`${protectedUrl}/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: order,
        })

        // A bare CryptoKey (as kept in IndexedDB), non-extractable.
        const bare = await crypto.subtle.generateKey(
          { name: 'ECDSA', namedCurve: 'P-256' },
          false,
          ['sign', 'verify'],
        )
        await register({
          ...(await crypto.subtle.exportKey('jwk', bare.publicKey)),
          kid: 'browser-bare',
        } as JsonWebKey)
        const bareClient = createClient({
          signing: rfc9421Signing({ key: bare.privateKey, keyId: 'browser-bare' }),
        })
        const bareAnswer = await bareClient.fetch(`${protectedUrl}/v1/me`, { method: 'DELETE' })

        // A client clock 10 minutes slow: the server says signature_expired with its Date
        // (exposed through CORS); the client learns the offset and re-signs once.
        const slow = createClient({
          signing: rfc9421Signing({ key: pair.privateKey }),
          clockOffsetMs: -600_000,
        })
        const skewed = await slow.fetch(`${protectedUrl}/v1/orders`)

        return {
          extractable: (pair.privateKey.nativeKey as CryptoKey).extractable,
          signed: { status: signed.status, body: await signed.json() },
          get: { status: get.status, body: await get.json() },
          tampered: { status: tampered.status, body: await tampered.json() },
          bare: { status: bareAnswer.status, body: await bareAnswer.json() },
          skewed: { status: skewed.status, offset: slow.clockOffsetMs },
        }
      },
      { protectedUrl: stack.protected.url },
    )
    expect(result.extractable).toBe(false)
    expect(result.signed).toEqual({
      status: 200,
      body: expect.objectContaining({
        ok: true,
        keyId: 'browser-ed25519',
        algorithm: 'ed25519',
        method: 'POST',
        body: JSON.stringify({ item: 'book', qty: 1 }),
      }),
    })
    expect(result.get).toMatchObject({ status: 200, body: { method: 'GET' } })
    expect(result.tampered).toMatchObject({ status: 401, body: { code: 'digest_mismatch' } })
    expect(result.bare).toMatchObject({ status: 200, body: { keyId: 'browser-bare' } })
    expect(result.skewed.status).toBe(200)
    expect(Math.abs(result.skewed.offset)).toBeLessThan(2000)
    expect(pageErrors).toEqual([])
  }, 60_000)

  it('never follows a redirect of a signed fetch: the browser hides its target, so it is refused', async () => {
    ready()
    const requested: string[] = []
    const onRequest = (request: { url(): string }) => requested.push(request.url())
    page.on('request', onRequest)
    try {
      const result = await page.evaluate(
        async ({ protectedUrl, otherUrl }) => {
          const { createClient, apiKeySigning } = (window as unknown as PageWindow).cs.client
          const client = createClient({ signing: apiKeySigning({ apiKey: 'browser-key' }) })
          const outcomes: unknown[] = []
          for (const status of [301, 302, 303, 307, 308]) {
            for (const to of [`${otherUrl}/stolen`, '/v1/orders']) {
              const url = `${protectedUrl}/misc/redirect?status=${status}&to=${encodeURIComponent(to)}`
              try {
                const answer = await client.fetch(url, { method: 'POST', body: 'x' })
                outcomes.push({ status: answer.status })
              } catch (error) {
                const { code, message } = error as { code?: string; message: string }
                outcomes.push({ code, refused: message.includes('another origin') })
              }
            }
          }
          return outcomes
        },
        { protectedUrl: stack.protected.url, otherUrl: stack.tokens.url },
      )
      expect(result).toEqual(Array(10).fill({ code: 'network_error', refused: true }))
      expect(requested.filter((url) => url.includes('/stolen'))).toEqual([])
      expect(requested.filter((url) => url.includes('/misc/redirect'))).toHaveLength(10)
    } finally {
      page.off('request', onRequest)
    }
  })
})
