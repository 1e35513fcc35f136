/**
 * The standing defence for the token service's input: random routes, methods, credentials in
 * `Authorization` / `x-api-key` / `x-api-token` (real keys and tokens, mutated, and garbage),
 * content types and bodies, over real HTTP on loopback. The property: an answer below 500 whose
 * error carries a snake_case code (the `countersign-error` header, or `code` in a problem+json
 * body); never a 5xx, a hang or a dropped connection. In-process, the token formats themselves:
 * user tokens, parameter tokens and API keys verify or fail with a coded 4xx. Fixed seed here;
 * `FUZZ_SEED` / `FUZZ_RUNS` override it (`scripts/fuzz.mjs`).
 */
import { createMemoryStore, isCountersignError } from '@countersign/core'
import type { RunningServer } from '@countersign/node-server'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKeys } from '../src/api-keys.ts'
import { serveTokenService } from '../src/node/serve.ts'
import { createParameterTokens } from '../src/parameter-tokens.ts'
import { createTokenService, TOKEN_SERVICE_SCOPES } from '../src/service/token-service.ts'

const SEED = Number(process.env.FUZZ_SEED ?? 42)
const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const CODE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
/** Generous for a loaded machine; grows with `FUZZ_RUNS` for the long run. */
const TIMEOUT_MS = Math.max(60_000, RUNS * 300)
const ISSUER = 'https://tokens.fuzz.test'
const masterKey = new Uint8Array(32).fill(7)

let server: RunningServer
let apiKey: string
let parameterToken: string
let userToken: string
let parameterTokens: ReturnType<typeof createParameterTokens>
let apiKeys: ReturnType<typeof createApiKeys>

beforeAll(async () => {
  const store = createMemoryStore()
  apiKeys = createApiKeys({ store, masterKey })
  apiKey = (
    await apiKeys.createApiKey({ name: 'fuzz', scopes: Object.values(TOKEN_SERVICE_SCOPES) })
  ).key
  const handler = createTokenService({
    store,
    issuer: ISSUER,
    masterKey,
    apiKeys,
    maxBodyBytes: 4096,
  })
  server = await serveTokenService(handler, { port: 0, maxBodyBytes: 8192 })
  parameterTokens = createParameterTokens({ store }) // the service's store: its tokens verify here
  const generated = await fetch(`${server.url}/generate`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: '{"a":1}',
  })
  parameterToken = ((await generated.json()) as { token: string }).token
  const issued = await fetch(`${server.url}/v1/user-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user: { id: 'u1' }, audience: 'fuzz' }),
  })
  userToken =
    ((await issued.json()) as { access_token?: string; token?: string }).access_token ?? ''
  // The properties start from real credentials, so some requests get past authentication.
  expect([parameterToken.length > 0, userToken.length > 0]).toEqual([true, true])
}, 30_000)

afterAll(async () => {
  await server?.close()
})

/** A credential: a real one, a real one with a few characters changed, or anything. */
function credential(real: () => string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(null).map(() => real()),
    fc
      .tuple(fc.nat(), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 3 }))
      .map(([at, text]) => {
        const value = real()
        const i = at % Math.max(1, value.length)
        return value.slice(0, i) + text + value.slice(i + 1)
      }),
    fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
  )
}

const PATHS = [
  '/generate',
  '/verify',
  '/v1/users/me',
  '/v1/user-tokens',
  '/oauth/introspect',
  '/oauth/revoke',
  '/.well-known/jwks.json',
  '/admin/api-keys',
  '/admin/api-keys/x',
  '/admin/api-keys/x/reroll',
  '/nowhere',
  '//generate',
  '/generate?x=1&x=2',
  '/%2e%2e/generate',
]

const BODY = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc
    .jsonValue({ maxDepth: 3 })
    .map((value) =>
      JSON.stringify({ user: { id: 'u' }, audience: 'fuzz', token: value, params: value }),
    ),
  fc.constantFrom(
    'token=abc',
    `token=${encodeURIComponent('cs_x')}&token_type_hint=access_token`,
    '{"__proto__":{}}',
    '{"a":1,"a":2}',
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
  ),
  fc.string({ unit: 'binary', maxLength: 120 }),
)

const REQUEST = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'),
  path: fc.constantFrom(...PATHS),
  authorization: fc.option(
    fc.oneof(
      credential(() => `Bearer ${apiKey}`),
      credential(() => `Bearer ${userToken}`),
      credential(() => `Basic ${btoa(`${apiKey}:x`)}`),
      credential(() => apiKey),
    ),
  ),
  apiKey: fc.option(credential(() => apiKey)),
  apiToken: fc.option(credential(() => parameterToken)),
  contentType: fc.option(
    fc.constantFrom(
      'application/json',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/json; charset=latin1',
      'application/problem+json',
      '',
    ),
  ),
  body: fc.option(BODY),
})

/** Only visible ASCII survives in a header value; the rest is dropped. */
const visible = (value: string) => value.replace(/[^\x20-\x7e]/g, '').trim()

describe('token service input over HTTP', { timeout: TIMEOUT_MS }, () => {
  it('answers every request below 500, and every error with a code', async () => {
    await fc.assert(
      fc.asyncProperty(REQUEST, async (input) => {
        const headers = new Headers()
        if (input.authorization !== null) {
          headers.set('authorization', visible(input.authorization))
        }
        if (input.apiKey !== null) {
          headers.set('x-api-key', visible(input.apiKey))
        }
        if (input.apiToken !== null) {
          headers.set('x-api-token', visible(input.apiToken))
        }
        if (input.contentType !== null) {
          headers.set('content-type', input.contentType)
        }
        const hasBody = input.body !== null && input.method !== 'GET'
        const response = await fetch(server.url + input.path, {
          method: input.method,
          headers,
          ...(hasBody ? { body: input.body as string } : {}),
        })
        const text = await response.text()
        expect(
          response.status,
          `${input.method} ${input.path}: ${text.slice(0, 200)}`,
        ).toBeLessThan(500)
        if (response.status >= 400 && response.status !== 405 && response.status !== 404) {
          const code =
            response.headers.get('countersign-error') ??
            (JSON.parse(text) as { code?: string }).code
          expect(code, text.slice(0, 200)).toMatch(CODE)
        }
      }),
      { seed: SEED, numRuns: Math.max(1, Math.floor(RUNS / 4)) },
    )
  })
})

describe('token formats in process', { timeout: TIMEOUT_MS }, () => {
  async function coded(run: () => Promise<unknown>): Promise<void> {
    try {
      await run()
    } catch (error) {
      const ok =
        isCountersignError(error) &&
        error.status >= 400 &&
        error.status < 500 &&
        CODE.test(error.code)
      expect(ok, String(error)).toBe(true)
    }
  }

  it('parameter tokens and API keys: verified or a coded 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        credential(() => parameterToken),
        credential(() => apiKey),
        async (token, key) => {
          await coded(() => parameterTokens.verify(token))
          await coded(() => apiKeys.verifyApiKey(key))
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })
})
