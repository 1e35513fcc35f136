/**
 * What a target may be (issue #14, item 7): https only unless a flag says otherwise, no cloud
 * metadata or private-network names, no path segments that servers normalise differently, and
 * options read once, so what was validated is what runs. Over real HTTP on loopback, with a
 * canary server that must never be reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RelayConfigError } from '../config/validate-relay-config.ts'
import { createRelay } from '../create-relay.ts'
import { resolveAllowed } from '../ssrf/guarded-agent.ts'
import { hostRefusal } from '../ssrf/parse-host.ts'
import {
  json,
  relayKeys,
  relayRequest,
  startServer,
  type TestServer,
  testAuth,
} from '../test-kit.ts'
import type { RelayHandler, RelayOptions, RelayTarget } from '../types.ts'

let api: TestServer
let canary: TestServer
let ring: Awaited<ReturnType<typeof relayKeys>>['ring']
const relays: RelayHandler[] = []

beforeAll(async () => {
  api = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"ok":true}')
  })
  canary = await startServer((_req, res) => res.end('canary reached'))
  ring = (await relayKeys()).ring
})

afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()))
  await api.close()
  await canary.close()
})

function make(options: Partial<RelayOptions>): RelayHandler {
  const relay = createRelay({ keys: ring, auth: testAuth, targets: [], ...options })
  relays.push(relay)
  return relay
}

function issuesOf(targets: RelayTarget[], extra: Partial<RelayOptions> = {}): string[] {
  try {
    make({ targets, ...extra })
  } catch (error) {
    expect(error).toBeInstanceOf(RelayConfigError)
    return (error as RelayConfigError).issues.map((issue) => issue.message)
  }
  return []
}

describe('plain http targets', () => {
  it('are refused unless the target says allowHttp or the relay runs in localDevelopment', async () => {
    const target = { id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true }
    expect(issuesOf([target]).join('\n')).toContain('must be an https URL; set allowHttp: true')
    expect(issuesOf([{ ...target, baseUrl: 'http://api.example.com/v1' }])).toHaveLength(1)
    for (const relay of [
      make({ targets: [{ ...target, allowHttp: true }] }),
      make({ targets: [target], localDevelopment: true }),
    ]) {
      const response = await relay(relayRequest({ url: `${api.url}/api/x`, data: {} }))
      expect(response.status).toBe(200)
    }
    expect(issuesOf([{ ...target, allowHttp: 'yes' as never }]).join('\n')).toContain(
      'must be true or false',
    )
  })
})

describe('host names refused at registration', () => {
  it.each([
    'metadata.google.internal',
    'METADATA.GOOGLE.INTERNAL.',
    'metadata',
    'Metadata.',
    'instance-data',
    'instance-data.ec2.internal',
    'metadata.goog',
    'metadata.tencentyun.com',
    'metadata.us-east1.internal',
    '169.254.169.254',
    '0xa9fea9fe',
    '2852039166',
    '0251.0376.0251.0376',
    '[::ffff:169.254.169.254]',
    '[fd00:ec2::254]',
  ])('%s, even with allowPrivateNetwork', (host) => {
    const issues = issuesOf([
      { id: 'm', baseUrl: `https://${host}/x`, allowPrivateNetwork: true, allowHttp: true },
    ])
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatch(/which the relay never connects to$/)
  })

  it.each([
    'localhost',
    'LOCALHOST.',
    'api.localhost',
    'intranet',
    'db.internal',
    'printer.local',
    'nas.home.arpa',
    'router.lan',
    'box.localdomain',
    '127.1',
    '0x7f.0.0.1',
    '0177.0.0.1',
    '2130706433',
    '10.1',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[fc00::1]',
  ])('%s, unless allowPrivateNetwork', (host) => {
    const issues = issuesOf([{ id: 'p', baseUrl: `https://${host}/x` }])
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatch(/set allowPrivateNetwork: true/)
    expect(
      issuesOf([{ id: 'p', baseUrl: `https://${host}/x`, allowPrivateNetwork: true }]),
    ).toEqual([])
  })

  it.each([
    'https://user@api.example.com/v1',
    'https://@api.example.com/v1',
    'https://user:pw@api.example.com/v1',
    'https://api.example.com@evil.example/v1',
    'https:api.example.com@evil.example/v1',
    'ftp://api.example.com/v1',
  ])('refuses %s', (baseUrl) => {
    expect(issuesOf([{ id: 'u', baseUrl }])).toEqual(['must be an https URL without userinfo'])
  })

  it('refuses metadata and private names at connect time too, without asking DNS', async () => {
    const asked: string[] = []
    const resolver = async (name: string) => {
      asked.push(name)
      return [{ address: '198.51.100.7', family: 4 as const }]
    }
    for (const name of ['metadata.google.internal', 'instance-data', 'metadata.']) {
      await expect(
        resolveAllowed(name, { resolver, allowPrivateNetwork: true }),
      ).rejects.toMatchObject({ code: 'target_forbidden' })
    }
    for (const name of ['db.internal', 'intranet', 'printer.local']) {
      await expect(resolveAllowed(name, { resolver })).rejects.toMatchObject({
        code: 'target_forbidden',
      })
    }
    expect(asked).toEqual([])
    expect(hostRefusal('api.example.com')).toBeUndefined()
  })
})

describe('path segments servers normalise differently', () => {
  it.each([
    '/v1/..;/admin',
    '/v1;jsessionid=1',
    '/v1/%2e%2e/admin',
    '/v1/.%2E/admin',
    '/v1/%2fadmin',
    '/v1\\admin',
    '/v1/%5cadmin',
    '/v1/%252e%252e/admin',
    '/v1/%3b',
    '/v1/...',
    '/v1/%00',
  ])('are refused in a base URL: %s', (path) => {
    const issues = issuesOf([{ id: 'x', baseUrl: `https://api.example.com${path}` }])
    expect(issues).toHaveLength(1)
  })

  it.each([
    '/api/..;/admin',
    '/api/x;jsessionid=1',
    '/api/x/%3b/y',
    '/api/%2e%2e;/admin',
    '/api/%252e%252e/admin',
    '/api/%25%32%65%25%32%65/admin',
    '/api/x%252fadmin',
    '/api/.../admin',
    '/api/..%20/admin',
    '/api/%2e%2e%2e/admin',
    '/api/x/%5C..%5Cadmin',
  ])('are refused in a requested URL over HTTP, and nothing is sent: %s', async (path) => {
    const relay = make({
      targets: [
        { id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true },
      ],
    })
    const before = api.requests()
    const response = await relay(relayRequest({ url: `${api.url}${path}`, data: {} }))
    expect(response.status).toBe(403)
    expect((await json(response)).code).toBe('target_forbidden')
    expect(api.requests()).toBe(before)
  })

  it('still forwards ordinary paths, including encoded spaces and percent signs', async () => {
    const relay = make({
      targets: [
        { id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true },
      ],
    })
    for (const path of ['/api/a%20b', '/api/100%25', '/api/a.b/c..d', '/api/x.json']) {
      const response = await relay(relayRequest({ url: `${api.url}${path}`, data: {} }))
      expect([path, response.status]).toEqual([path, 200])
    }
  })
})

describe('options are read once', () => {
  it('a getter that changes its answer after validation changes nothing', async () => {
    let reads = 0
    const target = {
      id: 'api',
      allowPrivateNetwork: true,
      allowHttp: true,
      // Validation on the old code read baseUrl four times; the fifth read is what ran.
      get baseUrl() {
        reads++
        return reads <= 4 ? `${api.url}/api` : `${canary.url}/api`
      },
    }
    const relay = make({ targets: [target] })
    expect(reads).toBe(1)
    const toCanary = await relay(relayRequest({ url: `${canary.url}/api/x`, data: {} }))
    expect(toCanary.status).toBe(403)
    expect(canary.requests()).toBe(0)
    expect((await relay(relayRequest({ url: `${api.url}/api/x`, data: {} }))).status).toBe(200)
  })

  it('mutating the options object afterwards changes nothing', async () => {
    const options: RelayOptions = {
      keys: ring,
      auth: testAuth,
      targets: [
        { id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true },
      ],
      cors: { allowedOrigins: ['https://app.example'], maxAgeSeconds: 600 },
    }
    const relay = createRelay(options)
    relays.push(relay)
    const mutable = options as unknown as {
      targets: RelayTarget[]
      cors: { allowedOrigins: string[]; maxAgeSeconds: number }
    }
    ;(mutable.targets[0] as { baseUrl: string }).baseUrl = `${canary.url}/api`
    mutable.targets.push({ id: 'canary', baseUrl: canary.url, allowPrivateNetwork: true })
    mutable.cors.allowedOrigins.push('https://evil.example')
    mutable.cors.maxAgeSeconds = 1
    expect((await relay(relayRequest({ url: `${canary.url}/api/x`, data: {} }))).status).toBe(403)
    expect(canary.requests()).toBe(0)
    const preflight = (origin: string) =>
      relay(
        new Request('http://relay.test/secure-request', {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        }),
      )
    const allowed = await preflight('https://app.example')
    expect(allowed.headers.get('access-control-max-age')).toBe('600')
    const evil = await preflight('https://evil.example')
    expect(evil.headers.get('access-control-allow-origin')).toBeNull()
  })
})
