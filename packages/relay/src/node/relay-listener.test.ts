/**
 * The relay's own `node:http` listener (used by `serveRelay` for a `createRelay` handler) must
 * answer exactly as the shared Web listener of `@countersign/node-server` does: the same
 * refusals for malformed requests (duplicate headers, absolute-form targets, bad `Host`,
 * oversized bodies, `Expect: 100-continue`), and the same status, headers and body for every
 * route. Each raw request is sent to both servers and the answers compared.
 */
import { connect } from 'node:net'
import { createKeyRing, importKey } from '@countersign/core'
import { serveHandler } from '@countersign/node-server'
import { createSigningKeys, createUserTokens } from '@countersign/tokens'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay } from '../create-relay.ts'
import { RELAY_CORE } from '../internal/relay-input.ts'
import { relayKeys, startServer, type TestServer, testAuth } from '../test-kit.ts'
import type { RelayHandler } from '../types.ts'
import { type RunningRelayServer, serveRelay } from './serve-relay.ts'

const ISSUER = 'https://tokens.test'
const AUDIENCE = 'relay-listener-test'
const MAX_BODY = 2048

let api: TestServer
let relay: RelayHandler
let fast: RunningRelayServer
let web: RunningRelayServer
let token: string
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  api = await startServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: unknown }
      if (req.url === '/api/empty') {
        res.writeHead(204)
        res.end()
        return
      }
      if (req.url === '/api/no-type') {
        res.writeHead(200)
        res.end('plain')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify({ got: envelope.data, path: req.url }))
    })
  })
  closers.push(() => api.close())
  const signingKeys = createSigningKeys()
  const issuer = createUserTokens({ issuer: ISSUER, keys: signingKeys })
  token = (await issuer.issueUserToken({ user: { id: 'u-1', name: 'Ada' }, audience: AUDIENCE }))
    .token
  const userKeys = createKeyRing(
    await Promise.all((await signingKeys.jwks()).keys.map((k) => importKey(k))),
  )
  const { ring } = await relayKeys()
  relay = createRelay({
    keys: ring,
    auth: { type: 'countersign', issuer: ISSUER, audience: AUDIENCE, keys: userKeys },
    targets: [{ id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true }],
    maxRequestBytes: 1024,
    cors: { allowedOrigins: ['https://app.example'] },
  })
  closers.push(() => relay.close())
  fast = await serveRelay(relay, { port: 0, maxBodyBytes: MAX_BODY })
  closers.push(() => fast.close())
  web = await serveHandler(relay, { port: 0, maxBodyBytes: MAX_BODY })
  closers.push(() => web.close())
})

afterAll(async () => {
  for (const close of closers.reverse()) {
    await close()
  }
})

/** Sends raw bytes, reads until the server closes; the answer with volatile headers dropped. */
function raw(url: string, text: string): Promise<string> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => resolve(normalise(Buffer.concat(chunks).toString('utf8'))))
    socket.write(text)
  })
}

function normalise(answer: string): string {
  const parts: string[] = []
  let rest = answer
  // Possibly several answers (100 Continue first); each head's lines sorted, volatile ones dropped.
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) {
      parts.push(rest)
      break
    }
    const [status, ...lines] = rest.slice(0, end).split('\r\n')
    const headers = lines
      .map((line) => (line.toLowerCase().startsWith('x-request-id') ? 'x-request-id: <id>' : line))
      .filter((line) => !/^(date|keep-alive):/i.test(line))
      .map((line) => line.replace(/^([^:]+):/, (name) => name.toLowerCase()))
      .sort()
    rest = rest.slice(end + 4)
    const length = /^content-length: *(\d+)$/im.exec(headers.join('\n'))
    const bodyLength = length === null ? 0 : Number(length[1])
    parts.push([status, ...headers, '', rest.slice(0, bodyLength)].join('\n'))
    rest = rest.slice(bodyLength)
  }
  return parts.join('\n---\n')
}

function post(path: string, body: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    host: 'relay.test',
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
    ...headers,
  }
  const lines = Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
  return `POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`
}

const item = (path: string, data: unknown = { n: 1 }) =>
  JSON.stringify({ url: `${api.url}/api/${path}`, data })

describe('the relay listener answers as the Web listener does', () => {
  it('uses its own listener for createRelay handlers only (not for a custom auth hook)', () => {
    expect(typeof (relay as unknown as Record<symbol, unknown>)[RELAY_CORE]).toBe('function')
    const custom = createRelay({
      auth: testAuth,
      targets: [
        { id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true },
      ],
      keys: [],
    })
    closers.push(() => custom.close())
    expect((custom as unknown as Record<symbol, unknown>)[RELAY_CORE]).toBeUndefined()
  })

  const cases: [string, () => string][] = [
    ['a forwarded request', () => post('/secure-request', item('orders'))],
    ['a 204 from the target', () => post('/secure-request', item('empty'))],
    ['an answer without content-type', () => post('/secure-request', item('no-type'))],
    ['a batch', () => post('/secure-request', `[${item('a')},${item('b', [1, 2])}]`)],
    ['a query string', () => post('/secure-request?x=1', item('orders'))],
    ['a dot segment', () => post('/./secure-request', item('orders'))],
    ['an encoded path', () => post('/secure%2Drequest', item('orders'))],
    ['no token', () => post('/secure-request', item('orders'), { authorization: '' })],
    [
      'a bad token',
      () => post('/secure-request', item('orders'), { authorization: 'Bearer x.y.z' }),
    ],
    [
      'a duplicate Authorization',
      () =>
        post('/secure-request', item('orders')).replace(
          'connection: close',
          `connection: close\r\nauthorization: Bearer ${token}`,
        ),
    ],
    [
      'a duplicate Content-Type',
      () =>
        post('/secure-request', item('orders')).replace(
          'connection: close',
          'connection: close\r\nContent-Type: application/json',
        ),
    ],
    [
      'an absolute-form target',
      () =>
        post('/secure-request', item('orders')).replace(
          'POST /secure-request',
          'POST http://127.0.0.1:6379/x',
        ),
    ],
    ['a bad Host', () => post('/secure-request', item('orders'), { host: 'bad host!' })],
    [
      'form content',
      () => post('/secure-request', 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }),
    ],
    [
      'latin-1 JSON',
      () =>
        post('/secure-request', item('orders'), {
          'content-type': 'application/json; charset=latin1',
        }),
    ],
    ['invalid JSON', () => post('/secure-request', '{"url":')],
    ['a JSON string, not an object', () => post('/secure-request', '"text"')],
    ['a body over the relay cap', () => post('/secure-request', item('orders', 'x'.repeat(1500)))],
    ['a body over the server cap', () => post('/secure-request', item('orders', 'x'.repeat(3000)))],
    [
      'a chunked body',
      () => {
        const body = item('orders')
        const half = Math.floor(body.length / 2)
        const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`
        return (
          post('/secure-request', '', { 'content-length': '', 'transfer-encoding': 'chunked' }) +
          chunk(body.slice(0, half)) +
          chunk(body.slice(half)) +
          '0\r\n\r\n'
        )
      },
    ],
    [
      'a chunked body over the server cap',
      () => {
        const body = item('orders', 'x'.repeat(3000))
        return `${post('/secure-request', '', { 'content-length': '', 'transfer-encoding': 'chunked' })}${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
      },
    ],
    [
      'Expect: 100-continue within the cap',
      () => post('/secure-request', item('orders'), { expect: '100-continue' }),
    ],
    [
      'Expect: 100-continue over the cap',
      () => post('/secure-request', 'x'.repeat(3000), { expect: '100-continue' }),
    ],
    [
      'a GET',
      () => 'GET /secure-request HTTP/1.1\r\nhost: relay.test\r\nconnection: close\r\n\r\n',
    ],
    [
      'a CORS preflight',
      () =>
        'OPTIONS /secure-request HTTP/1.1\r\nhost: relay.test\r\norigin: https://app.example\r\nconnection: close\r\n\r\n',
    ],
    [
      'a CORS request',
      () => post('/secure-request', item('orders'), { origin: 'https://app.example' }),
    ],
    [
      'a CORS request from elsewhere',
      () => post('/secure-request', item('orders'), { origin: 'https://evil.example' }),
    ],
    [
      'GET /healthz',
      () => 'GET /healthz HTTP/1.1\r\nhost: relay.test\r\nconnection: close\r\n\r\n',
    ],
    [
      'HEAD /healthz',
      () => 'HEAD /healthz HTTP/1.1\r\nhost: relay.test\r\nconnection: close\r\n\r\n',
    ],
    ['POST /healthz', () => post('/healthz', '{}')],
    [
      'GET the JWKS',
      () => 'GET /.well-known/jwks.json HTTP/1.1\r\nhost: relay.test\r\nconnection: close\r\n\r\n',
    ],
    [
      'HEAD the JWKS',
      () => 'HEAD /.well-known/jwks.json HTTP/1.1\r\nhost: relay.test\r\nconnection: close\r\n\r\n',
    ],
    ['TRACE', () => 'TRACE /healthz HTTP/1.1\r\nhost: relay.test\r\nconnection: close\r\n\r\n'],
    [
      'an unknown route',
      () => 'GET /nope HTTP/1.1\r\nhost: relay.test\r\nconnection: close\r\n\r\n',
    ],
    [
      'a target outside the targets',
      () => post('/secure-request', JSON.stringify({ url: 'http://127.0.0.1:6379/x', data: 1 })),
    ],
  ]

  for (const [name, request] of cases) {
    it(name, async () => {
      const text = request()
      const [a, b] = await Promise.all([raw(fast.url, text), raw(web.url, text)])
      expect(a).toBe(b)
      expect(a).toMatch(/^HTTP\/1\.1 \d{3}/)
    })
  }
})
