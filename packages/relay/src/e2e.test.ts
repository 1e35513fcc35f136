/**
 * End to end over real HTTP on loopback: client -> relay (node:http) -> custom API on
 * node:http that verifies with verifyRelayRequest -> answer back.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createMemoryStore,
  importKey,
  isCountersignError,
  randomBytes,
  toBase64Url,
} from '@countersign/core'
import { createRelayVerifier, verifyRelayRequest } from '@countersign/verifier'
import { request as undiciRequest } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay } from './create-relay.ts'
import { fieldLinesOf, serveRelay, toWebRequest } from './node/serve-relay.ts'
import { relayKeys, type TestServer, testAuth } from './test-kit.ts'
import type { RelayHandler } from './types.ts'

interface Captured {
  method: string
  path: string
  headers: Record<string, string>
  body: Buffer
}

const hmacSecret = randomBytes(32)
let relay: RelayHandler
let relayServer: Awaited<ReturnType<typeof serveRelay>>
let api: TestServer & { captured: Captured[] }
const apiNonces = createMemoryStore()

async function startApi(): Promise<TestServer & { captured: Captured[] }> {
  const captured: Captured[] = []
  let connections = 0
  let requests = 0
  const hmacKey = await importKey(hmacSecret, { algorithm: 'hmac-sha256', keyId: 'hmac-api' })
  const options = {
    ed: { jwksUrl: '', nonceStore: apiNonces },
  }
  const hmacVerifier = createRelayVerifier({ keys: [hmacKey], nonceStore: apiNonces })
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const request = await toWebRequest(req, { maxBodyBytes: 1024 * 1024 })
    if (request instanceof Error) {
      res.writeHead(request.status, { 'content-type': 'application/problem+json' })
      res.end(JSON.stringify(request.toProblem()))
      return
    }
    const copy = request.clone()
    captured.push({
      method: request.method,
      path: new URL(request.url).pathname,
      headers: Object.fromEntries(request.headers),
      body: Buffer.from(await copy.arrayBuffer()),
    })
    const path = new URL(request.url).pathname
    if (path === '/api/hang') {
      return // never answers
    }
    if (path === '/api/huge') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      let sent = 0
      const pump = (): void => {
        while (sent < 8 * 1024 * 1024) {
          sent += chunk.length
          if (!res.write(chunk)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      res.on('error', () => undefined)
      pump()
      return
    }
    if (path === '/api/redirect') {
      res.writeHead(302, { location: `${process.env.CANARY_URL ?? 'http://127.0.0.1:9'}/internal` })
      res.end()
      return
    }
    if (path === '/api/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
      res.end(Buffer.from([0x1f, 0x8b, 0x08, 0x00]))
      return
    }
    if (path === '/api/text') {
      res.writeHead(201, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('created')
      return
    }
    try {
      // Ed25519 through the one-shot form with the relay's JWKS URL; HMAC through a reusable
      // verifier given the raw header lines (exact duplicates) from node:http.
      const verified = path.startsWith('/hmac')
        ? await hmacVerifier.verify(request, { fieldLines: fieldLinesOf(req) })
        : await verifyRelayRequest(request, options.ed)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true, path, ...verified }))
    } catch (error) {
      const status = isCountersignError(error) ? error.status : 500
      res.writeHead(status, { 'content-type': 'application/problem+json' })
      res.end(
        JSON.stringify(isCountersignError(error) ? error.toProblem() : { code: 'internal_error' }),
      )
    }
  }
  const server = createServer((req, res) => {
    requests++
    void handle(req, res)
  })
  server.on('connection', () => {
    connections++
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    captured,
    connections: () => connections,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    ...{ options },
  } as TestServer & { captured: Captured[]; options: typeof options }
}

beforeAll(async () => {
  const { ring } = await relayKeys()
  api = await startApi()
  relay = createRelay({
    keys: ring,
    auth: testAuth,
    targets: [
      {
        id: 'api',
        baseUrl: `${api.url}/api`,
        allowPrivateNetwork: true,
        allowHttp: true,
        timeoutMs: 500,
        maxBodyBytes: 256 * 1024,
      },
      {
        id: 'hmac-api',
        baseUrl: `${api.url}/hmac`,
        allowPrivateNetwork: true,
        allowHttp: true,
        signing: { algorithm: 'hmac-sha256', secret: toBase64Url(hmacSecret) },
      },
    ],
  })
  relayServer = await serveRelay(relay, { port: 0 })
  ;(api as unknown as { options: { ed: { jwksUrl: string } } }).options.ed.jwksUrl =
    `${relayServer.url}/.well-known/jwks.json`
})

afterAll(async () => {
  await relayServer.close()
  await relay.close()
  await api.close()
})

async function call(
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${relayServer.url}/secure-request`, {
    method: 'POST',
    headers: { authorization: 'Bearer user:u1', 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    parsed = { text }
  }
  return { status: response.status, headers: response.headers, body: parsed }
}

/** Sends a captured forwarded request again, optionally changed, straight to the API. */
async function resend(
  captured: Captured,
  change: { body?: Buffer; headers?: Record<string, string>; path?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(captured.headers)) {
    if (!['host', 'content-length', 'connection', 'transfer-encoding'].includes(name)) {
      headers[name] = value
    }
  }
  Object.assign(headers, change.headers ?? {})
  const response = await undiciRequest(`${api.url}${change.path ?? captured.path}`, {
    method: 'POST',
    headers,
    body: change.body ?? captured.body,
  })
  return {
    status: response.statusCode,
    body: (await response.body.json()) as Record<string, unknown>,
  }
}

describe('relay end to end over loopback HTTP', () => {
  it('forwards a signed envelope that the API verifies with verifyRelayRequest', async () => {
    const result = await call({ url: `${api.url}/api/myapi?x=1`, data: { some_data: 'Hello' } })
    expect(result.status).toBe(200)
    expect(result.body).toMatchObject({
      ok: true,
      path: '/api/myapi',
      user: { user_id: 'u1', role: 'tester' },
      data: { some_data: 'Hello' },
      keyId: 'relay-test-1',
      algorithm: 'ed25519',
    })
    expect(result.body.requestId).toBe(result.headers.get('x-request-id'))
    const forwarded = api.captured.at(-1) as Captured
    expect(forwarded.headers['signature-input']).toMatch(
      /^sig1=\("@method" "@target-uri" "content-digest" "content-type"\);created=\d+;keyid="relay-test-1";expires=\d+;nonce="[^"]+";tag="countersign-relay"$/,
    )
    const created = Number(/created=(\d+)/.exec(forwarded.headers['signature-input'] ?? '')?.[1])
    const expires = Number(/expires=(\d+)/.exec(forwarded.headers['signature-input'] ?? '')?.[1])
    expect(expires - created).toBe(60)
    expect(forwarded.headers['content-digest']).toMatch(/^sha-256=:/)
    expect(forwarded.headers['content-type']).toBe('application/json')
    expect(JSON.parse(forwarded.body.toString())).toEqual({
      user: { user_id: 'u1', role: 'tester' },
      data: { some_data: 'Hello' },
      request: { id: result.body.requestId, time: expect.any(String) },
    })
  })

  it('never forwards the caller headers (identity, cookies, forwarding hints)', async () => {
    await call(
      { url: `${api.url}/api/headers`, data: null },
      {
        cookie: 'session=secret',
        'x-forwarded-for': '10.0.0.1',
        'x-user-id': 'admin',
        'x-api-key': 'cs_ak_leak',
        forwarded: 'for=10.0.0.1',
      },
    )
    const forwarded = api.captured.at(-1) as Captured
    expect(Object.keys(forwarded.headers).sort()).toEqual(
      [
        'accept-encoding',
        'connection',
        'content-digest',
        'content-length',
        'content-type',
        'host',
        'signature',
        'signature-input',
        'user-agent',
      ].sort(),
    )
    expect(JSON.stringify(forwarded.headers)).not.toContain('user:u1')
  })

  it('signs HMAC-configured targets with the shared secret', async () => {
    const result = await call({ url: `${api.url}/hmac/orders`, data: { id: 7 } })
    expect(result.status).toBe(200)
    expect(result.body).toMatchObject({
      keyId: 'hmac-api',
      algorithm: 'hmac-sha256',
      data: { id: 7 },
      user: { user_id: 'u1' },
    })
  })

  it('passes the upstream status, content type and body back', async () => {
    const response = await fetch(`${relayServer.url}/secure-request`, {
      method: 'POST',
      headers: { authorization: 'Bearer user:u1', 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${api.url}/api/text`, data: {} }),
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await response.text()).toBe('created')
  })

  it('the API refuses a replayed forwarded request', async () => {
    const ok = await call({ url: `${api.url}/api/replay`, data: { n: 1 } })
    expect(ok.status).toBe(200)
    const forwarded = api.captured.at(-1) as Captured
    const replay = await resend(forwarded)
    expect(replay).toMatchObject({ status: 401, body: { code: 'replayed' } })
  })

  it('the API refuses any changed body byte', async () => {
    await call({ url: `${api.url}/api/tamper`, data: { amount: 10 } })
    const forwarded = api.captured.at(-1) as Captured
    const codes = new Set<unknown>()
    for (let i = 0; i < forwarded.body.length; i++) {
      const changed = Buffer.from(forwarded.body)
      changed[i] = (changed[i] as number) ^ 0x01
      const tampered = await resend(forwarded, { body: changed })
      expect(tampered.status, `byte ${i}`).toBe(401)
      codes.add(tampered.body.code)
    }
    expect([...codes]).toEqual(['digest_mismatch'])
    expect(forwarded.body.length).toBeGreaterThan(100)
  })

  it('the API refuses changed covered headers and a changed target URI', async () => {
    const changes: Array<{ headers?: Record<string, string>; path?: string }> = [
      { headers: { 'content-type': 'application/json; charset=utf-8' } },
      { headers: { 'content-type': 'Application/JSON' } },
      { headers: { 'content-digest': 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:' } },
      { path: '/api/other' },
      { path: '/api/cover?x=1' },
    ]
    for (const change of changes) {
      await call({ url: `${api.url}/api/cover`, data: { n: 2 } })
      const forwarded = api.captured.at(-1) as Captured
      const tampered = await resend(forwarded, change)
      expect(tampered.status, JSON.stringify(change)).toBe(401)
      expect(['signature_invalid', 'digest_mismatch']).toContain(tampered.body.code)
    }
    // The signature parameters are covered too: stretching `expires` breaks the signature.
    await call({ url: `${api.url}/api/cover`, data: { n: 3 } })
    const forwarded = api.captured.at(-1) as Captured
    const input = forwarded.headers['signature-input'] as string
    const stretched = input.replace(
      /expires=(\d+)/,
      (_m, e: string) => `expires=${Number(e) + 3600}`,
    )
    const result = await resend(forwarded, { headers: { 'signature-input': stretched } })
    expect(result).toMatchObject({ status: 401, body: { code: 'signature_invalid' } })
  })

  it('the API refuses an HMAC request checked against the relay keys, and the other way round', async () => {
    await call({ url: `${api.url}/hmac/x`, data: {} })
    const forwarded = api.captured.at(-1) as Captured
    const crossed = await resend(forwarded, { path: '/api/x' })
    expect(crossed.status).toBe(401)
  })

  it('answers 502 upstream_unreachable when the target is down', async () => {
    const down = createServer()
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve))
    const { port } = down.address() as AddressInfo
    await new Promise<void>((resolve) => down.close(() => resolve()))
    const { ring } = await relayKeys()
    const local = createRelay({
      keys: ring,
      auth: testAuth,
      targets: [
        {
          id: 'down',
          baseUrl: `http://127.0.0.1:${port}`,
          allowPrivateNetwork: true,
          allowHttp: true,
        },
      ],
    })
    try {
      const response = await local(
        new Request('http://relay.test/secure-request', {
          method: 'POST',
          headers: { authorization: 'Bearer user:u1', 'content-type': 'application/json' },
          body: JSON.stringify({ url: `http://127.0.0.1:${port}/x`, data: {} }),
        }),
      )
      expect(response.status).toBe(502)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect(await response.json()).toMatchObject({ code: 'upstream_unreachable', status: 502 })
    } finally {
      await local.close()
    }
  })

  it('answers 504 upstream_timeout when the target hangs past the configured timeout', async () => {
    const started = Date.now()
    const result = await call({ url: `${api.url}/api/hang`, data: {} })
    expect(result.status).toBe(504)
    expect(result.body).toMatchObject({ code: 'upstream_timeout' })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('cuts a huge upstream body at the cap: 502 upstream_too_large', async () => {
    const result = await call({ url: `${api.url}/api/huge`, data: {} })
    expect(result.status).toBe(502)
    expect(result.body).toMatchObject({ code: 'upstream_too_large' })
  })

  it('does not follow a redirect to an internal URL: 502 upstream_error, canary untouched', async () => {
    let canaryConnections = 0
    const canary = createServer((_req, res) => res.end('canary'))
    canary.on('connection', () => {
      canaryConnections++
    })
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve))
    process.env.CANARY_URL = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`
    try {
      const result = await call({ url: `${api.url}/api/redirect`, data: {} })
      expect(result.status).toBe(502)
      expect(result.body).toMatchObject({ code: 'upstream_error' })
      expect(String(result.body.detail)).toContain('redirect')
      expect(canaryConnections).toBe(0)
    } finally {
      delete process.env.CANARY_URL
      canary.closeAllConnections()
      await new Promise<void>((resolve) => canary.close(() => resolve()))
    }
  })

  it('asks for identity encoding and refuses a compressed answer it cannot cap', async () => {
    const result = await call({ url: `${api.url}/api/gzip`, data: {} })
    expect((api.captured.at(-1) as Captured).headers['accept-encoding']).toBe('identity')
    expect(result.status).toBe(502)
    expect(result.body).toMatchObject({ code: 'upstream_error' })
  })

  it('serves the relay JWKS with public keys only', async () => {
    const response = await fetch(`${relayServer.url}/.well-known/jwks.json`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/jwk-set+json')
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> }
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'relay-test-1' })
    expect(jwks.keys[0]).not.toHaveProperty('d')
  })

  it('answers /healthz', async () => {
    const response = await fetch(`${relayServer.url}/healthz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
  })

  it('answers a batch with an array of { status, body } in order', async () => {
    const result = await fetch(`${relayServer.url}/secure-request`, {
      method: 'POST',
      headers: { authorization: 'Bearer user:u1', 'content-type': 'application/json' },
      body: JSON.stringify([
        { url: `${api.url}/api/one`, data: { n: 1 } },
        { url: 'http://169.254.169.254/latest/meta-data/', data: {} },
        { url: `${api.url}/api/text`, data: {} },
        { url: `${api.url}/hmac/two`, data: { n: 2 } },
      ]),
    })
    expect(result.status).toBe(200)
    const items = (await result.json()) as Array<{ status: number; body: Record<string, unknown> }>
    expect(items.map((i) => i.status)).toEqual([200, 403, 201, 200])
    expect(items[0]?.body).toMatchObject({ ok: true, data: { n: 1 } })
    expect(items[1]?.body).toMatchObject({ code: 'target_forbidden' })
    expect(items[2]?.body).toBe('created')
    expect(items[3]?.body).toMatchObject({ ok: true, algorithm: 'hmac-sha256', data: { n: 2 } })
  })

  it('refuses duplicate Authorization and absolute-form request lines at the Node adapter', async () => {
    const net = await import('node:net')
    const { port } = new URL(relayServer.url)
    const send = (text: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1')
        let data = ''
        socket.on('data', (chunk) => {
          data += chunk.toString()
        })
        socket.on('end', () => resolve(data))
        socket.on('error', reject)
        socket.end(text)
      })
    const body = JSON.stringify({ url: `${api.url}/api/x`, data: {} })
    const duplicate = await send(
      `POST /secure-request HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer user:u1\r\nAuthorization: Bearer user:admin\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    )
    expect(duplicate).toMatch(/^HTTP\/1\.1 400/)
    expect(duplicate).toContain('duplicate_header')
    const absolute = await send(
      `POST http://127.0.0.1:6379/secure-request HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer user:u1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    )
    expect(absolute).toMatch(/^HTTP\/1\.1 400/)
    const dupType = await send(
      `POST /secure-request HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer user:u1\r\nContent-Type: text/plain\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    )
    expect(dupType).toMatch(/^HTTP\/1\.1 400/)
  })
})
