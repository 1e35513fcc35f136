/**
 * Real servers on 127.0.0.1 (node:http, Express, Fastify, Hono) verify real HTTP requests signed
 * by `signRequest` / `signMessage` and sent with `fetch` or a raw socket, and refuse tampered
 * ones with an RFC 9457 problem (no detail) and, on 401, `Accept-Signature`.
 */
import {
  type ConsumeOnceStore,
  createMemoryStore,
  generateKeyPair,
  importKey,
  type Key,
  StoreError,
  utf8,
} from '@countersign/core'
import { signMessage, signRequest } from '@countersign/signer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADAPTERS,
  type AdapterName,
  parseRaw,
  type RunningServer,
  rawExchange,
  startServer,
} from './helpers/servers.ts'

const hmac = await importKey(utf8('a shared secret of at least 32 bytes!!'), {
  algorithm: 'hmac-sha256',
  keyId: 'k1',
})
const ed = await generateKeyPair('ed25519', { keyId: 'e1' })
const KEYS: Record<string, Key> = { k1: hmac, e1: ed.publicKey }
const keys = (id: string) => KEYS[id]

interface Problem {
  type: string
  title: string
  status: number
  code: string
}

async function problemOf(response: Response): Promise<Problem> {
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  const body = (await response.json()) as Problem
  expect(Object.keys(body).sort()).toEqual(['code', 'status', 'title', 'type'])
  expect(body.type).toBe(`https://countersign.dev/errors/${body.code}`)
  expect(body.status).toBe(response.status)
  return body
}

describe.each(ADAPTERS)('%s adapter on a real server', (name: AdapterName) => {
  let server: RunningServer
  let small: RunningServer
  let broken: RunningServer
  const failing: ConsumeOnceStore = {
    consumeOnce: async () => {
      throw new StoreError('store_unavailable', 'down')
    },
  } as unknown as ConsumeOnceStore

  beforeAll(async () => {
    server = await startServer(name, { keys, nonceStore: createMemoryStore() })
    small = await startServer(name, { keys, nonceStore: createMemoryStore(), maxBodyBytes: 1024 })
    broken = await startServer(name, { keys, nonceStore: failing })
  })
  afterAll(async () => {
    await Promise.all([server.close(), small.close(), broken.close()])
  })

  const post = (origin: string, body = '{"order":1}', path = '/v1/orders?x=1') =>
    new Request(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })

  it.each([
    ['hmac-sha256', hmac],
    ['ed25519', ed.privateKey],
  ] as const)('verifies a %s signed POST sent with fetch', async (_alg, key) => {
    const response = await fetch(await signRequest(post(server.origin), { key }))
    expect(response.status).toBe(200)
    const body = (await response.json()) as { keyId: string; body: string }
    expect(body.keyId).toBe(key.keyId)
    expect(JSON.parse(body.body)).toEqual({ order: 1 })
  })

  it('verifies a signed GET without a body', async () => {
    const response = await fetch(
      await signRequest(new Request(`${server.origin}/v1/orders/7`), { key: ed.privateKey }),
    )
    expect(response.status).toBe(200)
    expect(((await response.json()) as { keyId: string }).keyId).toBe('e1')
  })

  it('verifies signMessage output sent as plain fetch options', async () => {
    const url = `${server.origin}/v1/orders`
    const headers = { 'content-type': 'application/json' }
    const body = '{"sku":"A-1"}'
    const fields = await signMessage({ method: 'POST', url, headers, body }, { key: hmac })
    const response = await fetch(url, { method: 'POST', headers: { ...headers, ...fields }, body })
    expect(response.status).toBe(200)
  })

  it('refuses a tampered body: 401 digest_mismatch, problem+json, Accept-Signature', async () => {
    const signed = await signRequest(post(server.origin), { key: hmac })
    const tampered = new Request(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body: '{"order":2}',
    })
    const response = await fetch(tampered)
    expect(response.status).toBe(401)
    expect((await problemOf(response)).code).toBe('digest_mismatch')
    expect(response.headers.get('accept-signature')).toMatch(
      /^sig1=\("@method" "@target-uri" "content-digest" "content-type"\);created;nonce$/,
    )
  })

  it('refuses a tampered path and query: 401 signature_invalid', async () => {
    const signed = await signRequest(post(server.origin), { key: ed.privateKey })
    const tampered = new Request(`${server.origin}/v1/orders?x=2`, {
      method: 'POST',
      headers: signed.headers,
      body: '{"order":1}',
    })
    const response = await fetch(tampered)
    expect((await problemOf(response)).code).toBe('signature_invalid')
  })

  it('refuses an unsigned request and a replay', async () => {
    const unsigned = await fetch(post(server.origin))
    expect(unsigned.status).toBe(401)
    expect((await problemOf(unsigned)).code).toBe('signature_missing')
    expect(unsigned.headers.get('accept-signature')).toContain('"@method"')

    const signed = await signRequest(post(server.origin), { key: hmac })
    expect((await fetch(signed.clone())).status).toBe(200)
    const again = await fetch(signed)
    expect(again.status).toBe(401)
    expect((await problemOf(again)).code).toBe('replayed')
  })

  it('refuses a body over the cap: 413 body_too_large', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(4096) })
    const response = await fetch(await signRequest(post(small.origin, big), { key: hmac }))
    expect(response.status).toBe(413)
    expect((await problemOf(response)).code).toBe('body_too_large')
  })

  it('answers 503 store_unavailable when the nonce store is down', async () => {
    const response = await fetch(await signRequest(post(broken.origin), { key: hmac }))
    expect(response.status).toBe(503)
    expect((await problemOf(response)).code).toBe('store_unavailable')
  })

  it('refuses a duplicate Host line sent on a raw socket: 400 duplicate_header', async () => {
    const signed = await signRequest(post(server.origin), { key: hmac })
    const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
    const body = '{"order":1}'
    const raw = await rawExchange(
      server.port,
      [
        'POST /v1/orders?x=1 HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        'Host: evil.example',
        ...lines,
        `Content-Length: ${body.length}`,
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
      { body },
    )
    const { status, body: problem } = parseRaw(raw)
    expect(status).toBe(400)
    expect(problem).toMatchObject({ code: 'duplicate_header', status: 400 })
  })

  it.each(['Content-Type', 'Signature', 'Content-Digest', 'Authorization'])(
    'refuses a duplicate %s line sent on a raw socket: 400 duplicate_header',
    async (field) => {
      const signed = await signRequest(post(server.origin), { key: hmac })
      const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
      const copy = signed.headers.get(field) ?? 'Bearer a'
      const body = '{"order":1}'
      const raw = await rawExchange(
        server.port,
        [
          'POST /v1/orders?x=1 HTTP/1.1',
          `Host: 127.0.0.1:${server.port}`,
          ...lines,
          ...(field === 'Authorization' ? ['Authorization: Bearer a'] : []),
          `${field}: ${copy}`,
          `Content-Length: ${body.length}`,
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
        { body },
      )
      const { status, body: problem } = parseRaw(raw)
      expect(status).toBe(400)
      expect(problem).toMatchObject({ code: 'duplicate_header' })
    },
  )

  it('refuses an absolute-form request line naming another origin: 400 malformed', async () => {
    const signed = await signRequest(
      new Request('http://127.0.0.1:6379/x', { method: 'POST', body: 'x' }),
      { key: hmac },
    )
    const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
    const raw = await rawExchange(
      server.port,
      [
        'POST http://127.0.0.1:6379/x HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        ...lines,
        'Content-Length: 1',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
      { body: 'x' },
    )
    const { status, body } = parseRaw(raw)
    expect(status).toBe(400)
    expect(body).toMatchObject({ code: 'malformed' })
  })

  it.each(['/v1/x/../orders', '/v1/./orders', '/v1\\orders'])(
    'refuses a request target not in normal form (%s): 400 malformed',
    async (target) => {
      const signed = await signRequest(post(server.origin, '{"order":1}', '/v1/orders'), {
        key: hmac,
      })
      const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
      const raw = await rawExchange(
        server.port,
        [
          `POST ${target} HTTP/1.1`,
          `Host: 127.0.0.1:${server.port}`,
          ...lines,
          'Content-Length: 11',
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
        { body: '{"order":1}' },
      )
      const { status, body } = parseRaw(raw)
      expect(status).toBe(400)
      expect(body).toMatchObject({ code: 'malformed' })
    },
  )

  it('verifies an absolute-form request line on its own origin', async () => {
    const url = `${server.origin}/v1/orders?x=1`
    const signed = await signRequest(new Request(url, { method: 'POST', body: 'abs' }), {
      key: hmac,
    })
    const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
    const raw = await rawExchange(
      server.port,
      [
        `POST ${url} HTTP/1.1`,
        `Host: 127.0.0.1:${server.port}`,
        ...lines,
        'Content-Length: 3',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
      { body: 'abs' },
    )
    const { status, body } = parseRaw(raw)
    expect(status).toBe(200)
    expect(body).toMatchObject({ keyId: 'k1' })
  })

  it('refuses a request signed for another origin, whatever its Host says', async () => {
    const signed = await signRequest(post('https://api.example.com'), { key: hmac })
    const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
    const body = '{"order":1}'
    const raw = await rawExchange(
      server.port,
      [
        'POST /v1/orders?x=1 HTTP/1.1',
        'Host: api.example.com',
        ...lines,
        `Content-Length: ${body.length}`,
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
      { body },
    )
    const { status, body: problem } = parseRaw(raw)
    expect(status).toBe(400)
    expect(problem).toMatchObject({ code: 'malformed' })
  })

  /** Sends a request validly signed for `server.origin` with the given head lines instead. */
  async function withAuthority(target: string, extra: readonly string[]) {
    const signed = await signRequest(post(server.origin), { key: hmac })
    const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
    const body = '{"order":1}'
    const raw = await rawExchange(
      server.port,
      [
        `POST ${target} HTTP/1.1`,
        ...extra,
        ...lines,
        `Content-Length: ${body.length}`,
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
      { body },
    )
    return parseRaw(raw)
  }

  it.each([
    ['another host', ['Host: other.example']],
    ['another port', ['Host: 127.0.0.1:1']],
    ['a trailing dot', ['Host: 127.0.0.1.:PORT']],
    ['a leading-zero port', ['Host: 127.0.0.1:0PORT']],
    ['another spelling of the address', ['Host: 2130706433:PORT']],
    ['an IPv6 literal', ['Host: [::1]:PORT']],
    ['a forwarded host', ['Host: 127.0.0.1:PORT', 'X-Forwarded-Host: evil.example']],
    [
      'a second forwarded host',
      ['Host: 127.0.0.1:PORT', 'X-Forwarded-Host: 127.0.0.1:PORT, evil.example'],
    ],
    ['a Forwarded host', ['Host: 127.0.0.1:PORT', 'Forwarded: for=1.2.3.4;host="evil.example"']],
  ])(
    'refuses a validly signed request whose Host names %s: 400 malformed',
    async (_what, extra) => {
      const lines = extra.map((line) => line.replaceAll('PORT', String(server.port)))
      const { status, body } = await withAuthority('/v1/orders?x=1', lines)
      expect(status).toBe(400)
      expect(body).toMatchObject({ code: 'malformed' })
    },
  )

  it('refuses an absolute-form request on its own origin whose Host names another', async () => {
    const target = `${server.origin}/v1/orders?x=1`
    expect(await withAuthority(target, ['Host: other.example'])).toMatchObject({
      status: 400,
      body: { code: 'malformed' },
    })
    expect(await withAuthority(target, [`Host: 127.0.0.1:${server.port}`])).toMatchObject({
      status: 200,
      body: { keyId: 'k1' },
    })
  })

  it('accepts the Host the origin names, and forwarded hosts that agree', async () => {
    const host = `127.0.0.1:${server.port}`
    for (const extra of [
      [`Host: ${host}`],
      [`Host: ${host}`, `X-Forwarded-Host: ${host}`],
      [`Host: ${host}`, `Forwarded: host="${host}";proto=http`],
    ]) {
      expect(await withAuthority('/v1/orders?x=1', extra)).toMatchObject({
        status: 200,
        body: { keyId: 'k1' },
      })
    }
  })

  it('answers Expect: 100-continue only for a signed request within the cap', async () => {
    const unsigned = await rawExchange(
      server.port,
      [
        'POST /v1/orders HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        'Content-Type: application/json',
        'Content-Length: 11',
        'Expect: 100-continue',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
      { waitForContinue: true, body: '{"order":1}' },
    )
    expect(unsigned.startsWith('HTTP/1.1 100')).toBe(false)
    expect(parseRaw(unsigned)).toMatchObject({ status: 401, body: { code: 'signature_missing' } })

    const tooBig = await signRequest(post(small.origin, 'x'.repeat(2000)), { key: hmac })
    const bigLines = [...tooBig.headers].map(([k, v]) => `${k}: ${v}`)
    const refused = await rawExchange(
      small.port,
      [
        'POST /v1/orders?x=1 HTTP/1.1',
        `Host: 127.0.0.1:${small.port}`,
        ...bigLines,
        'Content-Length: 2000',
        'Expect: 100-continue',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
      { waitForContinue: true, body: 'x'.repeat(2000) },
    )
    expect(refused.startsWith('HTTP/1.1 100')).toBe(false)
    expect(parseRaw(refused)).toMatchObject({ status: 413 })

    const signed = await signRequest(post(server.origin), { key: hmac })
    const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
    const accepted = await rawExchange(
      server.port,
      [
        'POST /v1/orders?x=1 HTTP/1.1',
        `Host: 127.0.0.1:${server.port}`,
        ...lines,
        'Content-Length: 11',
        'Expect: 100-continue',
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
      { waitForContinue: true, body: '{"order":1}' },
    )
    expect(accepted.startsWith('HTTP/1.1 100 Continue')).toBe(true)
    expect(parseRaw(accepted)).toMatchObject({ status: 200, body: { keyId: 'k1' } })
  })
})

describe.each(ADAPTERS)('%s adapter behind a public https origin', (name: AdapterName) => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer(
      name,
      { keys, nonceStore: createMemoryStore() },
      'https://api.example.com',
    )
  })
  afterAll(() => server.close())

  it.each([
    ['api.example.com', 200],
    ['API.Example.COM', 200],
    ['api.example.com:443', 200],
    ['api.example.com.', 400],
    ['api.example.com:8443', 400],
    ['api.example.com:80', 400],
    ['api.example.com@evil.example', 400],
  ] as const)('Host: %s answers %d', async (host, expected) => {
    const signed = await signRequest(new Request('https://api.example.com/v1/orders'), {
      key: hmac,
    })
    const lines = [...signed.headers].map(([k, v]) => `${k}: ${v}`)
    const raw = await rawExchange(
      server.port,
      ['GET /v1/orders HTTP/1.1', `Host: ${host}`, ...lines, 'Connection: close', '', ''].join(
        '\r\n',
      ),
    )
    const { status, body } = parseRaw(raw)
    expect(status).toBe(expected)
    if (expected === 400) {
      expect(body).toMatchObject({ code: 'malformed' })
    }
  })
})
