/**
 * The standing defence for the relay's input: random `Authorization` (a real user token,
 * mutated, other schemes, garbage), content types and bodies (`{ url, data }`, batches, strict
 * JSON's traps, bytes) against a real relay on loopback, served both by its fast `node:http`
 * listener and as a Web handler, in front of a real API. The property: below 500 (the API never
 * fails, so a 5xx could only be the relay's own), and every error a problem+json with a code.
 * Fixed seed here; `FUZZ_SEED` / `FUZZ_RUNS` override it (`scripts/fuzz.mjs`).
 */
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { createKeyRing, generateKeyPair, importKey } from '@countersign/core'
import { createSigningKeys, createUserTokens } from '@countersign/tokens'
import { serveHandler } from '@countersign/tokens/node'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay } from '../src/index.ts'
import { serveRelay } from '../src/node/serve-relay.ts'

const SEED = Number(process.env.FUZZ_SEED ?? 42)
const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const CODE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
/** Generous for a loaded machine; grows with `FUZZ_RUNS` for the long run. */
const TIMEOUT_MS = Math.max(60_000, RUNS * 300)
const ISSUER = 'https://tokens.fuzz.test'
const AUDIENCE = 'relay-fuzz'

const closers: (() => Promise<void>)[] = []
let apiUrl: string
let token: string
const relays: { name: string; url: string }[] = []

beforeAll(async () => {
  const api = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        api.closeAllConnections()
        api.close(() => resolve())
      }),
  )
  const signingKeys = createSigningKeys()
  const issuer = createUserTokens({ issuer: ISSUER, keys: signingKeys })
  token = (await issuer.issueUserToken({ user: { id: 'u-1' }, audience: AUDIENCE })).token
  const userKeys = createKeyRing(
    await Promise.all((await signingKeys.jwks()).keys.map((k) => importKey(k))),
  )
  const { privateKey } = await generateKeyPair('ed25519', { keyId: 'relay-fuzz' })
  const relay = createRelay({
    keys: createKeyRing([privateKey]),
    auth: { type: 'countersign', issuer: ISSUER, audience: AUDIENCE, keys: userKeys },
    targets: [{ id: 'api', baseUrl: `${apiUrl}/api`, allowPrivateNetwork: true, allowHttp: true }],
    maxRequestBytes: 2048,
    cors: { allowedOrigins: ['https://app.example'] },
  })
  closers.push(() => relay.close())
  const fast = await serveRelay(relay, { port: 0, maxBodyBytes: 4096 })
  closers.push(() => fast.close())
  const web = await serveHandler(relay, { port: 0, maxBodyBytes: 4096 })
  closers.push(() => web.close())
  relays.push({ name: 'fast listener', url: fast.url }, { name: 'web handler', url: web.url })
  // The setup forwards a good request, so the random ones can get past every check.
  for (const { url } of relays) {
    const answer = await fetch(`${url}/secure-request`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${apiUrl}/api/echo`, data: { a: 1 } }),
    })
    expect(answer.status).toBe(200)
  }
}, 30_000)

afterAll(async () => {
  for (const close of closers.reverse()) {
    await close()
  }
})

/** The token as is, with a few characters changed, or anything. */
const TOKEN = fc.oneof(
  fc.constant(null).map(() => token),
  fc
    .tuple(fc.nat(), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 3 }))
    .map(([at, text]) => {
      const i = at % token.length
      return token.slice(0, i) + text + token.slice(i + 1)
    }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
)

const URL_ARB = fc.oneof(
  fc.constant(null).map(() => `${apiUrl}/api/echo`),
  fc.webPath().map((path) => `${apiUrl}/api${path}`),
  fc.constantFrom(
    'http://127.0.0.1:6379/x',
    'http://[::ffff:127.0.0.1]/api',
    'http://2130706433/api',
    'http://0x7f.1/api',
    'file:///etc/passwd',
    'javascript:alert(1)',
    '',
  ),
  fc.webUrl(),
  fc.string({ maxLength: 40 }),
)

const ITEM = fc.record(
  {
    url: fc.oneof(URL_ARB, fc.jsonValue({ maxDepth: 1 })),
    data: fc.jsonValue({ maxDepth: 3 }),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
)

const BODY = fc.oneof(
  { weight: 4, arbitrary: ITEM.map((item) => JSON.stringify(item)) },
  { weight: 2, arbitrary: fc.array(ITEM, { maxLength: 4 }).map((items) => JSON.stringify(items)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"url":"x","url":"y"}',
      '{"__proto__":{"polluted":1},"url":"x"}',
      '{"url":"http://127.0.0.1/api","data":1e999}',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      '{"url":"\\ud800"}',
      'x'.repeat(5000),
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 120 }) },
)

const REQUEST = fc.record({
  relay: fc.nat(1),
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT', 'OPTIONS'),
  path: fc.constantFrom('/secure-request', '/secure-request', '/secure-request/', '/x', '/healthz'),
  authorization: fc.option(
    fc.oneof(
      TOKEN.map((t) => `Bearer ${t}`),
      TOKEN.map((t) => `bearer  ${t}`),
      TOKEN.map((t) => `Basic ${t}`),
      TOKEN,
    ),
  ),
  contentType: fc.option(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json, text/plain',
    ),
  ),
  origin: fc.option(fc.constantFrom('https://app.example', 'https://evil.example', 'null')),
  body: BODY,
})

/** Only visible ASCII survives in a header value. */
const visible = (value: string) => value.replace(/[^\x20-\x7e]/g, '').trim()

describe('relay input over HTTP', { timeout: TIMEOUT_MS }, () => {
  it('answers every request below 500, and every error as problem+json with a code', async () => {
    await fc.assert(
      fc.asyncProperty(REQUEST, async (input) => {
        const relay = relays[input.relay] as { name: string; url: string }
        const headers = new Headers()
        if (input.authorization !== null) {
          headers.set('authorization', visible(input.authorization))
        }
        if (input.contentType !== null) {
          headers.set('content-type', input.contentType)
        }
        if (input.origin !== null) {
          headers.set('origin', input.origin)
        }
        const hasBody = input.method !== 'GET'
        const response = await fetch(relay.url + input.path, {
          method: input.method,
          headers,
          ...(hasBody ? { body: input.body } : {}),
        })
        const text = await response.text()
        const what = `${relay.name} ${input.method} ${input.path}: ${text.slice(0, 200)}`
        expect(response.status, what).toBeLessThan(500)
        if (response.status >= 400) {
          expect(response.headers.get('content-type'), what).toContain('application/problem+json')
          expect((JSON.parse(text) as { code?: string }).code, what).toMatch(CODE)
        }
      }),
      { seed: SEED, numRuns: Math.max(1, Math.floor(RUNS / 4)) },
    )
  })
})

/** Sends `text` as raw bytes; the status of the first answer, or 0 when the server closed silently. */
function rawStatus(url: string, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1')
    let answer = ''
    socket.setTimeout(10_000, () => reject(new Error('the relay did not answer')))
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1')
      // Skip interim answers (100 Continue): the first final status decides.
      const finals = [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]))
      const final = finals.find((status) => status >= 200)
      if (final !== undefined) {
        socket.destroy()
        resolve(final)
      }
    })
    socket.on('error', () => resolve(0))
    socket.on('close', () => resolve(0))
    socket.end(text)
  })
}

describe('relay input as raw HTTP: repeated and conflicting header lines', {
  timeout: TIMEOUT_MS,
}, () => {
  it('answers below 500 whatever lines repeat (Authorization, Content-Type, Host, Content-Length)', async () => {
    const line = fc.oneof(
      TOKEN.map((t) => `Authorization: Bearer ${visible(t)}`),
      fc.constantFrom(
        'Content-Type: application/json',
        'Content-Type: text/plain',
        'Host: 127.0.0.1',
        'Host: evil.example',
        'Transfer-Encoding: chunked',
        'Expect: 100-continue',
        'Origin: https://app.example',
        'Content-Length: 3',
      ),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.nat(1),
        fc.array(line, { maxLength: 6 }),
        BODY,
        async (which, lines, body) => {
          const relay = relays[which] as { url: string }
          const bytes = Buffer.from(body, 'utf8')
          const head = [
            'POST /secure-request HTTP/1.1',
            `Host: 127.0.0.1:${new URL(relay.url).port}`,
            ...lines,
            `Content-Length: ${bytes.length}`,
            'Connection: close',
          ]
          const status = await rawStatus(relay.url, `${head.join('\r\n')}\r\n\r\n${body}`)
          expect(status, head.join(' | ')).toBeLessThan(500)
        },
      ),
      { seed: SEED, numRuns: Math.max(1, Math.floor(RUNS / 4)) },
    )
  })
})
