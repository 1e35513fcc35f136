/**
 * SSRF through the whole relay handler: every URL or address here must be refused with 403
 * `target_forbidden` and no connection opened. A loopback canary server listens on the port
 * every case points at and must see zero connections; a counting stub resolver proves which
 * names were even resolved. No case can reach beyond loopback: registered names resolve only
 * to non-public addresses (the guard refuses them), and unregistered URLs never match.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay } from '../create-relay.ts'
import {
  countingResolver,
  json,
  relayKeys,
  relayRequest,
  startServer,
  type TestServer,
  testAuth,
} from '../test-kit.ts'
import type { RelayHandler } from '../types.ts'

let canary: TestServer
let relay: RelayHandler
let calls: string[]
let P: number

/** Registered names and what the stub resolver answers for them: all non-public. */
const INTERNAL_ANSWERS: Record<string, string[]> = {
  'loopback.example': ['127.0.0.1'],
  'loopback6.example': ['::1'],
  'mapped.example': ['::ffff:127.0.0.1'],
  'mapped-private.example': ['::ffff:10.0.0.1'],
  'private10.example': ['10.0.0.5'],
  'private172.example': ['172.16.3.4'],
  'private192.example': ['192.168.0.10'],
  'metadata.example': ['169.254.169.254'],
  'metadata6.example': ['fd00:ec2::254'],
  'linklocal.example': ['169.254.10.10'],
  'cgnat.example': ['100.64.0.1'],
  'unspecified.example': ['0.0.0.0'],
  'unspecified6.example': ['::'],
  'ula.example': ['fd12:3456::1'],
  'nat64.example': ['64:ff9b::a00:1'],
  'sixtofour.example': ['2002:7f00:1::1'],
  'teredo.example': ['2001::abcd'],
  'documentation.example': ['198.51.100.7'],
  'multicast.example': ['239.1.2.3'],
  'manyinternal.example': ['10.0.0.1', '10.0.0.2', '192.168.1.1'],
  // The public-looking target everything unregistered is compared against.
  'api.example.com': ['198.51.100.7'],
}

beforeAll(async () => {
  canary = await startServer((_req, res) => res.end('canary reached'))
  P = canary.port
  const stub = countingResolver(INTERNAL_ANSWERS)
  calls = stub.calls
  const { ring } = await relayKeys()
  relay = createRelay({
    keys: ring,
    auth: testAuth,
    resolver: stub.resolver,
    targets: [
      { id: 'api', baseUrl: 'https://api.example.com/v1' },
      ...Object.keys(INTERNAL_ANSWERS)
        .filter((name) => name !== 'api.example.com')
        .map((name, i) => ({ id: `internal-${i}`, baseUrl: `http://${name}:${P}/api` })),
    ],
    localDevelopment: true,
  })
})

afterAll(async () => {
  await relay.close()
  await canary.close()
})

/** Requested URLs that match no registered target (literal internal hosts and URL tricks). */
const unregistered = (): string[] => [
  `http://127.0.0.1:${P}/`,
  `http://localhost:${P}/`,
  `http://localhost.:${P}/`,
  `http://LOCALHOST:${P}/`,
  `http://api.localhost:${P}/`,
  `http://2130706433:${P}/`,
  `http://0177.0.0.1:${P}/`,
  `http://0x7f.1:${P}/`,
  `http://0x7f000001:${P}/`,
  `http://017700000001:${P}/`,
  `http://127.1:${P}/`,
  `http://127.0.0.1.:${P}/`,
  `http://0x7F.0x0.0x0.0x1:${P}/`,
  `http://127.000.000.001:${P}/`,
  `http://[::1]:${P}/`,
  `http://[0:0:0:0:0:0:0:1]:${P}/`,
  `http://[::ffff:127.0.0.1]:${P}/`,
  `http://[::ffff:7f00:1]:${P}/`,
  `http://[::127.0.0.1]:${P}/`,
  `http://[::]:${P}/`,
  `http://0.0.0.0:${P}/`,
  `http://0:${P}/`,
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://100.100.100.200/latest/meta-data/',
  'http://10.0.0.1/',
  'http://172.16.0.1/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://[fc00::1]/',
  'http://[fe80::1]/',
  'http://[fec0::1]/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://[2002:7f00:1::]/',
  'http://[64:ff9b::7f00:1]/',
  'http://[2001::1]/',
  'http://192.0.2.1/',
  'http://198.18.0.1/',
  'http://240.0.0.1/',
  `http://api.example.com@127.0.0.1:${P}/`,
  'https://user:pass@api.example.com/v1/x',
  'https://@api.example.com/v1/x',
  'https://api.example.com/v1x',
  'https://api.example.com/v1/../admin',
  'https://api.example.com/v1/%2e%2e/admin',
  'https://api.example.com/v1/..%2fadmin',
  'https://api.example.com/v1%2F..%2Fadmin',
  'https://api.example.com/v1/%2e%2e%5cadmin',
  'http://api.example.com/v1/x',
  'https://api.example.com:8443/v1/x',
  'https://api.example.com./v1/x',
  'https://api.example.com.evil.test/v1/x',
  `gopher://127.0.0.1:${P}/_INFO`,
  'file:///etc/passwd',
  `ftp://127.0.0.1:${P}/`,
  'dict://127.0.0.1:11211/stat',
  `http://loopback.example:${P}/apix`,
  `http://loopback.example:${P}/`,
  `http://loopback.example:${P + 1}/api/x`,
]

/** Requested URLs that match a registered target whose name resolves to a refused address. */
const registeredInternal = (): string[] => [
  ...Object.keys(INTERNAL_ANSWERS)
    .filter((name) => name !== 'api.example.com')
    .map((name) => `http://${name}:${P}/api/x`),
  'https://api.example.com/v1/orders',
  'https://API.EXAMPLE.COM:443/v1/orders?id=1',
]

describe('SSRF through the relay handler', () => {
  it('refuses every unregistered or disguised internal URL with 403 and no connection', async () => {
    const cases = unregistered()
    for (const url of cases) {
      const response = await relay(relayRequest({ url, data: {} }))
      expect(response.status, url).toBe(403)
      const body = await json(response)
      expect(body, url).toMatchObject({ code: 'target_forbidden', status: 403 })
      expect(response.headers.get('content-type')).toBe('application/problem+json')
    }
    // None of these matched a target, so nothing was even resolved.
    expect(calls).toEqual([])
    expect(canary.connections()).toBe(0)
    expect(cases.length).toBeGreaterThanOrEqual(60)
  })

  it('refuses registered names that resolve to non-public addresses, at connect time', async () => {
    const cases = registeredInternal()
    for (const url of cases) {
      const response = await relay(relayRequest({ url, data: {} }))
      expect(response.status, url).toBe(403)
      const body = await json(response)
      expect(body, url).toMatchObject({ code: 'target_forbidden' })
      expect(String(body.detail), url).toMatch(/resolves to/)
    }
    // Each name was resolved by the guard (once per attempt) and refused before connecting.
    expect(new Set(calls).size).toBe(Object.keys(INTERNAL_ANSWERS).length)
    expect(canary.connections()).toBe(0)
    expect(canary.requests()).toBe(0)
    expect(cases.length).toBeGreaterThanOrEqual(20)
  })

  it('names the reason for literal internal hosts', async () => {
    const response = await relay(
      relayRequest({ url: 'http://169.254.169.254/latest/meta-data/', data: {} }),
    )
    const body = await json(response)
    expect(body.detail).toBe(
      'the url is not a registered target (host 169.254.169.254 is a cloud metadata address)',
    )
  })

  it('refuses malformed URLs with 400', async () => {
    for (const url of ['', 'not a url', '/relative/path', 'http://[::1', 'http://exa mple.com/']) {
      const response = await relay(relayRequest({ url, data: {} }))
      expect(response.status, url).toBe(400)
      expect(await json(response)).toMatchObject({ code: 'malformed' })
    }
    expect(canary.connections()).toBe(0)
  })
})

describe('registered loopback targets', () => {
  it('pass only with allowPrivateNetwork: true', async () => {
    const api = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    })
    const { ring } = await relayKeys()
    const { resolver, calls: resolved } = countingResolver({ 'api.internal.test': ['127.0.0.1'] })
    const open = createRelay({
      keys: ring,
      auth: testAuth,
      resolver,
      targets: [
        {
          id: 'literal',
          baseUrl: `http://127.0.0.1:${api.port}/a`,
          allowPrivateNetwork: true,
          allowHttp: true,
        },
        {
          id: 'named',
          baseUrl: `http://api.internal.test:${api.port}/b`,
          allowPrivateNetwork: true,
          allowHttp: true,
        },
        { id: 'closed', baseUrl: `http://api.internal.test:${api.port}/c`, allowHttp: true },
      ],
    })
    try {
      for (const url of [
        `http://127.0.0.1:${api.port}/a/x`,
        `http://api.internal.test:${api.port}/b/y`,
      ]) {
        const response = await open(relayRequest({ url, data: {} }))
        expect(response.status, url).toBe(200)
        expect(await response.json()).toEqual({ ok: true })
      }
      const refused = await open(
        relayRequest({ url: `http://api.internal.test:${api.port}/c/z`, data: {} }),
      )
      expect(refused.status).toBe(403)
      expect(resolved).toEqual(['api.internal.test', 'api.internal.test'])
      expect(api.requests()).toBe(2)
    } finally {
      await open.close()
      await api.close()
    }
  })
})
