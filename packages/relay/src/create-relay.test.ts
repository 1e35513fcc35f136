import {
  createKeyRing,
  createMemoryStore,
  generateKeyPair,
  type Store,
  StoreError,
} from '@countersign/core'
import { createRedisStore } from '@countersign/store/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonLinesSink } from './audit.ts'
import { RelayConfigError } from './config/validate-relay-config.ts'
import { createRelay } from './create-relay.ts'
import {
  json,
  relayKeys,
  relayRequest,
  startServer,
  type TestServer,
  testAuth,
} from './test-kit.ts'
import type { RelayAuditEvent, RelayHandler, RelayOptions } from './types.ts'

let api: TestServer
let base: Omit<RelayOptions, 'targets'> & { targets: RelayOptions['targets'] }
const relays: RelayHandler[] = []

function make(extra: Partial<RelayOptions> = {}): RelayHandler {
  const relay = createRelay({ ...base, ...extra })
  relays.push(relay)
  return relay
}

beforeAll(async () => {
  api = await startServer((req, res) => {
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
    })
    req.on('end', () => {
      res.writeHead(req.url === '/api/empty' ? 204 : 200, { 'content-type': 'application/json' })
      res.end(req.url === '/api/empty' ? undefined : JSON.stringify({ received: size }))
    })
  })
  const { ring } = await relayKeys()
  base = {
    keys: ring,
    auth: testAuth,
    targets: [{ id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true }],
  }
})

afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()))
  await api.close()
})

describe('malformed input gets a 4xx with a stable code, never a 500', () => {
  const cases: Array<[string, () => Request, number, string]> = [
    [
      'missing Authorization',
      () => relayRequest({ url: 'x' }, { token: null }),
      401,
      'not_logged_in',
    ],
    ['unknown user', () => relayRequest({ url: 'x' }, { token: 'nobody' }), 401, 'not_logged_in'],
    [
      'two bearer tokens joined',
      () =>
        new Request('http://relay.test/secure-request', {
          method: 'POST',
          headers: [
            ['authorization', 'Bearer user:u1'],
            ['authorization', 'Bearer user:admin'],
            ['content-type', 'application/json'],
          ],
          body: '{}',
        }),
      401,
      'not_logged_in',
    ],
    [
      'Basic auth',
      () =>
        new Request('http://relay.test/secure-request', {
          method: 'POST',
          headers: { authorization: 'Basic dTpw', 'content-type': 'application/json' },
          body: '{}',
        }),
      401,
      'not_logged_in',
    ],
    [
      'form content type',
      () =>
        relayRequest(null, {
          contentType: 'application/x-www-form-urlencoded',
          raw: 'url=x&data=y',
        }),
      415,
      'unsupported_media_type',
    ],
    [
      'multipart form',
      () => relayRequest(null, { contentType: 'multipart/form-data; boundary=x', raw: '--x--' }),
      415,
      'unsupported_media_type',
    ],
    [
      'text/plain (HTML form enctype)',
      () => relayRequest(null, { contentType: 'text/plain', raw: '{}' }),
      415,
      'unsupported_media_type',
    ],
    [
      'no content type',
      () => relayRequest({ url: 'x' }, { contentType: null }),
      415,
      'unsupported_media_type',
    ],
    [
      'xml',
      () => relayRequest(null, { contentType: 'application/xml', raw: '<a/>' }),
      415,
      'unsupported_media_type',
    ],
    [
      'latin-1 JSON',
      () => relayRequest({ url: 'x' }, { contentType: 'application/json; charset=iso-8859-1' }),
      415,
      'unsupported_media_type',
    ],
    [
      'a charset named twice (latin-1, then UTF-8)',
      () =>
        relayRequest(
          { url: 'x' },
          { contentType: 'application/json; charset=iso-8859-1; Charset=utf-8' },
        ),
      415,
      'unsupported_media_type',
    ],
    ['bad JSON', () => relayRequest(null, { raw: '{"url": ' }), 400, 'invalid_json'],
    ['empty body', () => relayRequest(null, { raw: '' }), 400, 'invalid_json'],
    [
      'invalid UTF-8',
      () =>
        new Request('http://relay.test/secure-request', {
          method: 'POST',
          headers: { authorization: 'Bearer user:u1', 'content-type': 'application/json' },
          body: new Uint8Array([0x7b, 0xff, 0x7d]),
        }),
      400,
      'invalid_json',
    ],
    [
      '__proto__ key',
      () => relayRequest(null, { raw: `{"url":"${'x'}","data":{"__proto__":{"admin":true}}}` }),
      400,
      'malformed',
    ],
    [
      'constructor key',
      () =>
        relayRequest(null, { raw: '{"url":"x","data":{"a":[{"constructor":{"prototype":1}}]}}' }),
      400,
      'malformed',
    ],
    [
      'deep nesting (100k arrays)',
      () =>
        relayRequest(null, {
          raw: `{"url":"x","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        }),
      413,
      'body_too_large',
    ],
    [
      'deep nesting (40 levels)',
      () => relayRequest(null, { raw: `{"url":"x","data":${'['.repeat(40)}${']'.repeat(40)}}` }),
      400,
      'malformed',
    ],
    ['a JSON string', () => relayRequest('hello'), 400, 'malformed'],
    ['null', () => relayRequest(null), 400, 'malformed'],
    ['url missing', () => relayRequest({ data: {} }), 400, 'malformed'],
    ['url not a string', () => relayRequest({ url: 42, data: {} }), 400, 'malformed'],
    [
      'unknown field',
      () => relayRequest({ url: 'x', data: {}, headers: { cookie: 'a' } }),
      400,
      'malformed',
    ],
    ['empty batch', () => relayRequest([]), 400, 'malformed'],
    [
      'oversized batch',
      () => relayRequest(Array.from({ length: 11 }, () => ({ url: 'x' }))),
      400,
      'malformed',
    ],
    ['batch with a bad item', () => relayRequest([{ url: 'x' }, 'nope']), 400, 'malformed'],
    [
      'oversized body',
      () => relayRequest({ url: 'x', data: 'a'.repeat(70_000) }),
      413,
      'body_too_large',
    ],
    [
      'lying Content-Length',
      () =>
        new Request('http://relay.test/secure-request', {
          method: 'POST',
          headers: {
            authorization: 'Bearer user:u1',
            'content-type': 'application/json',
            'content-length': '99999999',
          },
          body: '{}',
        }),
      413,
      'body_too_large',
    ],
  ]

  it.each(cases)('%s -> %i %s', async (_name, build, status, code) => {
    const relay = make()
    const response = await relay(build())
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    const body = await json(response)
    expect(body).toMatchObject({ code, status, type: `https://countersign.dev/errors/${code}` })
    if (status === 401) {
      expect(response.headers.get('www-authenticate')).toBe('Bearer')
    }
  })

  it('refuses a 100k-deep array inside the size cap without overflowing the stack', async () => {
    const relay = make({ maxRequestBytes: 1024 * 1024 })
    const raw = `{"url":"x","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    const response = await relay(relayRequest(null, { raw }))
    expect(response.status).toBe(400)
    expect(await json(response)).toMatchObject({
      code: 'malformed',
      detail: 'JSON nested deeper than 32 levels',
    })
  })

  it('says clearly that HTML forms are not supported', async () => {
    const response = await make()(
      relayRequest(null, { contentType: 'application/x-www-form-urlencoded', raw: 'a=b' }),
    )
    expect((await json(response)).detail).toMatch(/HTML forms are not supported.*application\/json/)
  })

  it('answers unknown routes 404 and wrong methods 405 with Allow', async () => {
    const relay = make()
    const notFound = await relay(new Request('http://relay.test/admin'))
    expect(notFound.status).toBe(404)
    const wrong = await relay(new Request('http://relay.test/secure-request'))
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
    const jwks = await relay(
      new Request('http://relay.test/.well-known/jwks.json', { method: 'POST' }),
    )
    expect(jwks.status).toBe(405)
  })

  it('never answers 500 for random bodies and content types', async () => {
    const relay = make()
    const bodies = [
      '{',
      '[',
      '""',
      '[[[',
      '{"url":null}',
      '{"url":"http://[::1"}',
      '\u0000',
      'NaN',
      '1e999',
      '{"url":"x","data":1e999}',
    ]
    for (const raw of bodies) {
      const response = await relay(relayRequest(null, { raw }))
      expect(response.status, raw).toBeGreaterThanOrEqual(400)
      expect(response.status, raw).toBeLessThan(500)
    }
  })
})

describe('forwarding details', () => {
  it('passes a 204 from the target with no body', async () => {
    const response = await make()(relayRequest({ url: `${api.url}/api/empty` }))
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
  })

  it('refuses an envelope larger than the target maxBodyBytes with 413', async () => {
    const relay = make({
      targets: [
        {
          id: 'api',
          baseUrl: `${api.url}/api`,
          allowPrivateNetwork: true,
          allowHttp: true,
          maxBodyBytes: 100,
        },
      ],
    })
    const response = await relay(relayRequest({ url: `${api.url}/api/x`, data: 'a'.repeat(200) }))
    expect(response.status).toBe(413)
    expect(await json(response)).toMatchObject({ code: 'body_too_large' })
  })

  it('adds api_key only for skapiCompat targets', async () => {
    const seen: string[] = []
    const echo = await startServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => {
        body += c.toString()
      })
      req.on('end', () => {
        seen.push(body)
        res.end('ok')
      })
    })
    try {
      const relay = make({
        targets: [
          {
            id: 'old',
            baseUrl: `${echo.url}/old`,
            allowPrivateNetwork: true,
            allowHttp: true,
            skapiCompat: { apiKey: 'your api secret key' },
          },
          { id: 'new', baseUrl: `${echo.url}/new`, allowPrivateNetwork: true, allowHttp: true },
        ],
      })
      await relay(relayRequest({ url: `${echo.url}/old/myapi`, data: { some_data: 'Hello' } }))
      await relay(relayRequest({ url: `${echo.url}/new/myapi`, data: { some_data: 'Hello' } }))
      expect(JSON.parse(seen[0] as string)).toMatchObject({
        api_key: 'your api secret key',
        data: { some_data: 'Hello' },
      })
      expect(JSON.parse(seen[1] as string)).not.toHaveProperty('api_key')
    } finally {
      await echo.close()
    }
  })
})

describe('rate limits', () => {
  it('answers 429 with RateLimit-Policy, RateLimit and Retry-After per user', async () => {
    const relay = make({ rateLimit: { perUser: { limit: 2, windowMs: 60_000 } } })
    const first = await relay(relayRequest({ url: `${api.url}/api/a` }))
    expect(first.status).toBe(200)
    expect(first.headers.get('ratelimit-policy')).toBe('"user";q=2;w=60')
    expect(first.headers.get('ratelimit')).toMatch(/^"user";r=1;t=\d+$/)
    await relay(relayRequest({ url: `${api.url}/api/a` }))
    const limited = await relay(relayRequest({ url: `${api.url}/api/a` }))
    expect(limited.status).toBe(429)
    expect(await json(limited)).toMatchObject({ code: 'rate_limited', status: 429 })
    expect(limited.headers.get('ratelimit-policy')).toBe('"user";q=2;w=60')
    expect(limited.headers.get('ratelimit')).toMatch(/^"user";r=0;t=\d+$/)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    // Another user still passes.
    const other = await relay(relayRequest({ url: `${api.url}/api/a` }, { token: 'user:u2' }))
    expect(other.status).toBe(200)
  })

  it('limits per target across users', async () => {
    const relay = make({
      rateLimit: {
        perTarget: { limit: 1, windowMs: 10_000 },
        perUser: { limit: 100, windowMs: 10_000 },
      },
    })
    expect(
      (await relay(relayRequest({ url: `${api.url}/api/a` }, { token: 'user:a' }))).status,
    ).toBe(200)
    const limited = await relay(relayRequest({ url: `${api.url}/api/a` }, { token: 'user:b' }))
    expect(limited.status).toBe(429)
    expect(limited.headers.get('ratelimit-policy')).toBe('"user";q=100;w=10, "target";q=1;w=10')
    expect(limited.headers.get('ratelimit')).toMatch(/^"user";r=99;t=\d+, "target";r=0;t=\d+$/)
    expect((await json(limited)).detail).toBe('too many requests for this target')
  })

  it('fails closed with 503 when the store fails', async () => {
    const broken = {
      hit: async () => {
        throw new StoreError('store_unavailable', 'down')
      },
    }
    const relay = make({ store: broken, rateLimit: { perUser: { limit: 5, windowMs: 1000 } } })
    const response = await relay(relayRequest({ url: `${api.url}/api/a` }))
    expect(response.status).toBe(503)
    expect(await json(response)).toMatchObject({ code: 'store_unavailable' })
  })

  it('counts on a shared Redis store', async () => {
    let store: Store
    try {
      store = await createRedisStore({
        url: process.env.REDIS_URL,
        prefix: `relay-test-${Date.now()}`,
      })
    } catch {
      expect.fail('Redis is required for this test (REDIS_URL)')
    }
    try {
      const one = make({ store, rateLimit: { perUser: { limit: 1, windowMs: 5000 } } })
      const two = make({ store, rateLimit: { perUser: { limit: 1, windowMs: 5000 } } })
      expect((await one(relayRequest({ url: `${api.url}/api/a` }))).status).toBe(200)
      // A second relay instance sharing the store sees the same window.
      expect((await two(relayRequest({ url: `${api.url}/api/a` }))).status).toBe(429)
    } finally {
      await store.close()
    }
  })
})

describe('audit', () => {
  it('emits one event per request with ids and sizes, never a token or body', async () => {
    const lines: string[] = []
    const relay = make({ audit: jsonLinesSink({ write: (text: string) => lines.push(text) }) })
    const ok = await relay(
      relayRequest({ url: `${api.url}/api/a`, data: { secret: 'do-not-log' } }),
    )
    await relay(relayRequest({ url: 'http://10.0.0.1/', data: {} }))
    await relay(relayRequest({ url: 'x' }, { token: null }))
    expect(lines).toHaveLength(3)
    const events = lines.map((l) => JSON.parse(l) as RelayAuditEvent)
    expect(events[0]).toMatchObject({
      requestId: ok.headers.get('x-request-id'),
      userId: 'u1',
      targetId: 'api',
      status: 200,
      bytesIn: expect.any(Number),
      bytesOut: expect.any(Number),
      latencyMs: expect.any(Number),
    })
    expect(events[1]).toMatchObject({ userId: 'u1', status: 403, code: 'target_forbidden' })
    expect(events[2]).toMatchObject({ status: 401, code: 'not_logged_in' })
    expect(events[2]).not.toHaveProperty('userId')
    expect(lines.join('')).not.toMatch(/do-not-log|user:u1|Bearer/)
  })

  it('emits one event per batch item, linked by batchId', async () => {
    const events: RelayAuditEvent[] = []
    const relay = make({ audit: (e) => void events.push(e) })
    const response = await relay(
      relayRequest([{ url: `${api.url}/api/a` }, { url: 'http://127.0.0.1/' }]),
    )
    const batchId = response.headers.get('x-request-id')
    events.sort((a, b) => a.requestId.localeCompare(b.requestId))
    expect(events.map((e) => [e.requestId, e.batchId, e.status])).toEqual([
      [`${batchId}.0`, batchId, 200],
      [`${batchId}.1`, batchId, 403],
    ])
  })

  it('survives a sink that throws or rejects', async () => {
    const throwing = make({
      audit: () => {
        throw new Error('sink down')
      },
    })
    expect((await throwing(relayRequest({ url: `${api.url}/api/a` }))).status).toBe(200)
    const rejecting = make({
      audit: async () => {
        throw new Error('sink down')
      },
    })
    expect((await rejecting(relayRequest({ url: `${api.url}/api/a` }))).status).toBe(200)
  })
})

describe('CORS', () => {
  it('answers preflight for allowed origins only and exposes the rate-limit headers', async () => {
    const relay = make({ cors: { allowedOrigins: ['https://app.example'] } })
    const preflight = await relay(
      new Request('http://relay.test/secure-request', {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      }),
    )
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type',
    )
    const evil = await relay(
      new Request('http://relay.test/secure-request', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      }),
    )
    expect(evil.headers.get('access-control-allow-origin')).toBeNull()
    const request = relayRequest({ url: `${api.url}/api/a` })
    const withOrigin = new Request(request, {
      headers: { ...Object.fromEntries(request.headers), origin: 'https://app.example' },
    })
    const response = await relay(withOrigin)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(response.headers.get('vary')).toBe('origin')
  })
})

describe('configuration errors', () => {
  it('throws a RelayConfigError naming every problem by path', () => {
    expect(() =>
      createRelay({
        auth: testAuth,
        targets: [
          { id: 'a', baseUrl: 'https://user:pw@api.example.com' },
          { id: 'a', baseUrl: 'https://127.0.0.1:8080', timeoutMs: -1 },
          {
            id: 'b c',
            baseUrl: 'https://api.example.com',
            signing: { algorithm: 'hmac-sha256', secret: 'c2hvcnQ' },
          },
        ],
      } as RelayOptions),
    ).toThrow(RelayConfigError)
    try {
      createRelay({
        auth: testAuth,
        targets: [
          { id: 'a', baseUrl: 'https://user:pw@api.example.com' },
          { id: 'a', baseUrl: 'https://127.0.0.1:8080', timeoutMs: -1 },
          {
            id: 'b c',
            baseUrl: 'https://api.example.com',
            signing: { algorithm: 'hmac-sha256', secret: 'c2hvcnQ' },
          },
        ],
      } as RelayOptions)
    } catch (error) {
      expect((error as Error).message.split('\n')).toEqual([
        'targets[0].baseUrl: must be an https URL without userinfo',
        'targets[1].baseUrl: host 127.0.0.1 is a loopback address; set allowPrivateNetwork: true to allow private and loopback hosts',
        'targets[1].timeoutMs: must be an integer from 1 to 300000',
        'targets[1].id: duplicates targets[0].id',
        'targets[2].id: must be 1-64 characters of A-Z a-z 0-9 . _ -',
        'targets[2].signing.secret: must decode to at least 32 bytes',
        'keys: is required: a target signs with ed25519, which uses the relay keys',
      ])
    }
  })

  it('accepts the memory store and rejects a store without hit()', () => {
    expect(() => make({ store: createMemoryStore() })).not.toThrow()
    expect(() => make({ store: {} as never })).toThrow(/store: must be a store with hit/)
  })
})

describe('key rotation', () => {
  it('publishes every key that still verifies and signs with the current one', async () => {
    const keyIds: string[] = []
    const capture = await startServer((req, res) => {
      keyIds.push(/keyid="([^"]+)"/.exec(String(req.headers['signature-input']))?.[1] ?? '')
      req.resume()
      req.on('end', () => res.end('ok'))
    })
    try {
      const old = await generateKeyPair('ed25519', { keyId: 'relay-2026-10' })
      const next = await generateKeyPair('ed25519', { keyId: 'relay-2026-11' })
      const ring = createKeyRing([old.privateKey])
      ring.add(next.privateKey, { notBefore: Date.now() + 3_600_000 })
      const relay = make({
        keys: ring,
        targets: [
          { id: 'c', baseUrl: `${capture.url}/c`, allowPrivateNetwork: true, allowHttp: true },
        ],
      })
      const kids = async () =>
        (
          (await (await relay(new Request('http://relay.test/.well-known/jwks.json'))).json()) as {
            keys: Array<{ kid: string }>
          }
        ).keys.map((k) => k.kid)
      // Published ahead of use: both in the JWKS, the old one still signs.
      expect(await kids()).toEqual(['relay-2026-10', 'relay-2026-11'])
      await relay(relayRequest({ url: `${capture.url}/c/x` }))
      // The new key takes over; the old one stays published (overlap) until removed.
      ring.retire('relay-2026-10')
      ring.add((await generateKeyPair('ed25519', { keyId: 'relay-2026-12' })).privateKey, {
        primary: true,
      })
      await relay(relayRequest({ url: `${capture.url}/c/x` }))
      expect(await kids()).toEqual(['relay-2026-10', 'relay-2026-11', 'relay-2026-12'])
      ring.remove('relay-2026-10')
      expect(await kids()).toEqual(['relay-2026-11', 'relay-2026-12'])
      expect(keyIds).toEqual(['relay-2026-10', 'relay-2026-12'])
    } finally {
      await capture.close()
    }
  })
})
