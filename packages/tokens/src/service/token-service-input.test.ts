/**
 * Issue #14 items 5 and 6 over real HTTP: numbers are never changed in transit, and every JSON
 * route refuses unknown members and values outside their documented range, naming the member.
 */
import { createMemoryStore } from '@countersign/core'
import type { RunningServer } from '@countersign/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiKeys } from '../api-keys.ts'
import { serveTokenService } from '../node/serve.ts'
import { createParameterTokens } from '../parameter-tokens.ts'
import { createSigningKeys } from '../signing-keys.ts'
import { createTokenService, TOKEN_SERVICE_SCOPES } from './token-service.ts'

const masterKey = new Uint8Array(32).fill(7)
const apiKeys = createApiKeys({ store: createMemoryStore(), masterKey })
let server: RunningServer
let admin: string
let generator: string
let issuer: string

beforeAll(async () => {
  const store = createMemoryStore()
  const keys = createApiKeys({ store, masterKey })
  const make = async (scope: string) =>
    (await keys.createApiKey({ name: scope, scopes: [scope] })).key
  admin = await make(TOKEN_SERVICE_SCOPES.admin)
  generator = await make(TOKEN_SERVICE_SCOPES.generate)
  issuer = await make(TOKEN_SERVICE_SCOPES.issueUserTokens)
  const handler = createTokenService({
    store,
    issuer: 'https://tokens.test',
    masterKey,
    apiKeys: keys,
  })
  server = await serveTokenService(handler, { port: 0 })
})
afterAll(async () => {
  await server.close()
})

const send = (path: string, body: string, key: string, header = 'authorization') =>
  fetch(server.url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [header]: header === 'authorization' ? `Bearer ${key}` : key,
    },
    body,
  })

interface Problem {
  code: string
  detail?: string
  member?: string
  pointer?: string
}

async function refused(response: Response): Promise<Problem> {
  expect(response.status).toBe(400)
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  return (await response.json()) as Problem
}

async function newKey(): Promise<string> {
  const response = await send('/admin/api-keys', '{"name":"target"}', admin)
  expect(response.status).toBe(201)
  return ((await response.json()) as { id: string }).id
}

describe('numbers are never changed in transit', () => {
  const tooBig = [
    '12345678901234567890',
    '-9007199254740992',
    '12345678901234567890.0',
    '1e400',
    '1e300',
  ]

  it.each(tooBig)('POST /v1/user-tokens refuses %s with 400 invalid_json', async (n) => {
    const body = `{"user":{"id":"u1","amount":${n}},"audience":"app"}`
    const problem = await refused(await send('/v1/user-tokens', body, issuer))
    expect(problem.code).toBe('invalid_json')
    expect(problem.detail).toMatch(/number/)
  })

  it.each(tooBig)('POST /admin/api-keys refuses expiresAt %s with 400 invalid_json', async (n) => {
    const problem = await refused(
      await send('/admin/api-keys', `{"name":"a","expiresAt":${n}}`, admin),
    )
    expect(problem.code).toBe('invalid_json')
  })

  it('the Kudo /generate route refuses them too (403 by its compatible contract, code in the header)', async () => {
    const response = await send(
      '/generate',
      '{"amount":12345678901234567890}',
      generator,
      'x-api-key',
    )
    expect(response.status).toBe(403)
    expect(response.headers.get('countersign-error')).toBe('invalid_json')
    expect(await response.json()).toEqual({ message: 'Invalid JSON body' })
  })

  it('numbers in range come back from /verify exactly as sent', async () => {
    const sent = '{"amount":9007199254740991,"low":-9007199254740991,"rate":0.1,"zero":-0}'
    const issued = await send('/generate', sent, generator, 'x-api-key')
    expect(issued.status).toBe(200)
    const { token } = (await issued.json()) as { token: string }
    const verified = await fetch(`${server.url}/verify`, { headers: { 'x-api-token': token } })
    expect(await verified.text()).toBe(
      '{"amount":9007199254740991,"low":-9007199254740991,"rate":0.1,"zero":0}',
    )
  })
})

describe('unknown members are refused, naming the member', () => {
  it('a misspelled reroll member rerolls nothing', async () => {
    const id = await newKey()
    const before = await apiKeysOf(id)
    const problem = await refused(
      await send(`/admin/api-keys/${id}/reroll`, '{"gracePeriod":60000}', admin),
    )
    expect(problem).toMatchObject({
      code: 'malformed',
      member: 'gracePeriod',
      pointer: '/gracePeriod',
    })
    expect(problem.detail).toContain('unknown member')
    expect(await apiKeysOf(id)).toEqual(before)
  })

  it.each([
    ['/v1/user-tokens', '{"user":{"id":"u1"},"audience":"app","ttll":60}', 'ttll', '/ttll'],
    ['/v1/user-tokens', '{"user":{"id":"u1"},"audience":"app","__x":1}', '__x', '/__x'],
    ['/admin/api-keys', '{"name":"a","scope":["admin"]}', 'scope', '/scope'],
    ['/admin/api-keys', '{"name":"a","expires_at":1}', 'expires_at', '/expires_at'],
    [
      '/admin/api-keys',
      '{"name":"a","rateLimit":{"limit":1,"windowMs":1000,"burst":5}}',
      'rateLimit.burst',
      '/rateLimit/burst',
    ],
    ['/admin/api-keys', '{"name":"a","a/b~c":1}', 'a/b~c', '/a~1b~0c'],
  ])('POST %s %s', async (path, body, member, pointer) => {
    const key = path === '/v1/user-tokens' ? issuer : admin
    const problem = await refused(await send(path, body, key))
    expect(problem).toMatchObject({ code: 'malformed', member, pointer })
  })

  it.each(['disable', 'enable'])('POST /admin/api-keys/:id/%s takes no members', async (action) => {
    const id = await newKey()
    const before = await apiKeysOf(id)
    const problem = await refused(
      await send(`/admin/api-keys/${id}/${action}`, '{"reason":"x"}', admin),
    )
    expect(problem).toMatchObject({ code: 'malformed', member: 'reason', pointer: '/reason' })
    expect(await apiKeysOf(id)).toEqual(before)
    expect((await send(`/admin/api-keys/${id}/${action}`, '{}', admin)).status).toBe(200)
  })

  it('a long unknown name is cut in the answer', async () => {
    const name = 'x'.repeat(500)
    const problem = await refused(await send('/admin/api-keys', `{"name":"a","${name}":1}`, admin))
    expect(problem.member).toBe(`${'x'.repeat(64)}…`)
  })
})

async function apiKeysOf(id: string): Promise<unknown> {
  const response = await fetch(`${server.url}/admin/api-keys/${id}`, {
    headers: { authorization: `Bearer ${admin}` },
  })
  return response.json()
}

describe('values outside their documented range are refused, naming the member', () => {
  const inFuture = Math.floor(Date.now() / 1000) + 3600
  const create: Array<[string, string]> = [
    ['{"name":"a","expiresAt":253402300800}', 'expiresAt'],
    ['{"name":"a","expiresAt":99999999999999}', 'expiresAt'],
    ['{"name":"a","expiresAt":-1}', 'expiresAt'],
    ['{"name":"a","expiresAt":1}', 'expiresAt'],
    [`{"name":"a","expiresAt":${inFuture}.5}`, 'expiresAt'],
    ['{"name":"a","expiresAt":"2030-02-31T00:00:00Z"}', 'expiresAt'],
    ['{"name":"a","expiresAt":"2030-01-01T24:00:00Z"}', 'expiresAt'],
    ['{"name":"a","expiresAt":"tomorrow"}', 'expiresAt'],
    ['{"name":"a","expiresAt":"2030"}', 'expiresAt'],
    ['{"name":"a","expiresAt":null}', 'expiresAt'],
    ['{"name":"a","expiresAt":[1]}', 'expiresAt'],
    ['{"name":"a","expiresAt":true}', 'expiresAt'],
    ['{"name":123}', 'name'],
    ['{"name":""}', 'name'],
    [`{"name":"${'n'.repeat(201)}"}`, 'name'],
    ['{"scopes":[]}', 'name'],
    ['{"name":"a","scopes":"admin"}', 'scopes'],
    ['{"name":"a","scopes":{"0":"admin"}}', 'scopes'],
    ['{"name":"a","scopes":[1]}', 'scopes.0'],
    ['{"name":"a","scopes":["ok","has space"]}', 'scopes'],
    [
      `{"name":"a","scopes":${JSON.stringify(Array.from({ length: 101 }, (_, i) => `s${i}`))}}`,
      'scopes',
    ],
    ['{"name":"a","meta":[]}', 'meta'],
    ['{"name":"a","meta":"x"}', 'meta'],
    [`{"name":"a","meta":{"big":"${'m'.repeat(5000)}"}}`, 'meta'],
    ['{"name":"a","rateLimit":[]}', 'rateLimit'],
    ['{"name":"a","rateLimit":{"limit":1}}', 'rateLimit.windowMs'],
    ['{"name":"a","rateLimit":{"limit":0,"windowMs":1000}}', 'rateLimit.limit'],
    ['{"name":"a","rateLimit":{"limit":1.5,"windowMs":1000}}', 'rateLimit.limit'],
    ['{"name":"a","rateLimit":{"limit":"5","windowMs":1000}}', 'rateLimit.limit'],
    ['{"name":"a","rateLimit":{"limit":1000000001,"windowMs":1000}}', 'rateLimit.limit'],
    ['{"name":"a","rateLimit":{"limit":1,"windowMs":-1}}', 'rateLimit.windowMs'],
    ['{"name":"a","rateLimit":{"limit":1,"windowMs":2592000001}}', 'rateLimit.windowMs'],
    ['{"name":"a","withSecret":"true"}', 'withSecret'],
    ['{"name":"a","withSecret":1}', 'withSecret'],
  ]
  it.each(create)('POST /admin/api-keys %s', async (body, member) => {
    const problem = await refused(await send('/admin/api-keys', body, admin))
    expect(problem).toMatchObject({
      code: 'malformed',
      member,
      pointer: `/${member.replace('.', '/')}`,
    })
  })

  it('accepts the edges of each range', async () => {
    const body = {
      name: 'n'.repeat(200),
      expiresAt: 253402300799,
      rateLimit: { limit: 1_000_000_000, windowMs: 2_592_000_000 },
    }
    const created = await send('/admin/api-keys', JSON.stringify(body), admin)
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    expect(await apiKeysOf(id)).toMatchObject({ expiresAt: '9999-12-31T23:59:59.000Z' })
    const iso = await send(
      '/admin/api-keys',
      '{"name":"a","expiresAt":"2999-01-01T00:00:00+01:00"}',
      admin,
    )
    expect(iso.status).toBe(201)
    const reroll = await send(`/admin/api-keys/${id}/reroll`, '{"gracePeriodMs":2592000000}', admin)
    expect(reroll.status).toBe(200)
  })

  it.each([['-1'], ['1.5'], ['"60000"'], ['2592000001'], ['null'], ['true'], ['{}']])(
    'POST /admin/api-keys/:id/reroll gracePeriodMs %s',
    async (value) => {
      const id = await newKey()
      const before = await apiKeysOf(id)
      const problem = await refused(
        await send(`/admin/api-keys/${id}/reroll`, `{"gracePeriodMs":${value}}`, admin),
      )
      expect(problem).toMatchObject({
        code: 'malformed',
        member: 'gracePeriodMs',
        pointer: '/gracePeriodMs',
      })
      expect(await apiKeysOf(id)).toEqual(before)
    },
  )

  it('POST /admin/api-keys/:id/reroll rerollSecret must be a boolean', async () => {
    const id = await newKey()
    const problem = await refused(
      await send(`/admin/api-keys/${id}/reroll`, '{"rerollSecret":"yes"}', admin),
    )
    expect(problem.member).toBe('rerollSecret')
  })

  const userTokens: Array<[string, string]> = [
    ['{"user":{"id":"u1"},"audience":"app","ttl":0}', 'ttl'],
    ['{"user":{"id":"u1"},"audience":"app","ttl":-5}', 'ttl'],
    ['{"user":{"id":"u1"},"audience":"app","ttl":1.5}', 'ttl'],
    ['{"user":{"id":"u1"},"audience":"app","ttl":9007199254740991}', 'ttl'],
    ['{"user":{"id":"u1"},"audience":"app","ttl":86400}', 'ttl'],
    ['{"user":{"id":"u1"},"audience":"app","ttl":"30x"}', 'ttl'],
    ['{"user":{"id":"u1"},"audience":"app","ttl":"999d"}', 'ttl'],
    ['{"user":{"id":"u1"},"audience":"app","ttl":true}', 'ttl'],
    ['{"user":{"id":"u1"},"audience":"app","ttl":[60]}', 'ttl'],
    ['{"user":{"id":"u1"},"audience":"app","format":"pdf"}', 'format'],
    ['{"user":{"id":"u1"},"audience":"app","scope":5}', 'scope'],
    ['{"user":{"id":"u1"},"audience":"app","scope":["a"]}', 'scope'],
    ['{"user":{"id":"u1"},"audience":5}', 'audience'],
    ['{"user":{"id":"u1"}}', 'audience'],
    ['{"audience":"app"}', 'user'],
    ['{"user":[],"audience":"app"}', 'user'],
    ['{"user":{"id":5},"audience":"app"}', 'user.id'],
    ['{"user":{"id":"u1","name":5},"audience":"app"}', 'user.name'],
  ]
  it.each(userTokens)('POST /v1/user-tokens %s', async (body, member) => {
    const problem = await refused(await send('/v1/user-tokens', body, issuer))
    expect(problem).toMatchObject({
      code: 'malformed',
      member,
      pointer: `/${member.replace('.', '/')}`,
    })
  })

  it('POST /v1/user-tokens accepts its documented forms', async () => {
    for (const ttl of ['60', '"30m"', '43200', 'null']) {
      const body = `{"user":{"id":"u1","plan":"pro"},"audience":"app","ttl":${ttl},"format":"jwt","scope":"a b"}`
      expect((await send('/v1/user-tokens', body, issuer)).status, ttl).toBe(201)
    }
  })
})

describe('the library option checks', () => {
  it('refuses expiresAt outside 1970..9999 and invalid dates', async () => {
    for (const expiresAt of [
      1e300,
      253_402_300_800_000,
      -1,
      Number.NaN,
      1.5,
      new Date(Number.NaN),
    ]) {
      await expect(
        apiKeys.createApiKey({ name: 'a', expiresAt }),
        String(expiresAt),
      ).rejects.toThrow(/expected expiresAt/)
    }
    const ok = await apiKeys.createApiKey({ name: 'a', expiresAt: 253_402_300_799_999 })
    expect((await apiKeys.get(ok.id))?.expiresAt?.toISOString()).toBe('9999-12-31T23:59:59.999Z')
  })

  it('refuses grace periods and rate limits outside their range', async () => {
    const { id } = await apiKeys.createApiKey({ name: 'a' })
    for (const gracePeriodMs of [-1, 2_592_000_001, 1e300, 0.5, Number.NaN]) {
      await expect(apiKeys.reroll(id, { gracePeriodMs }), String(gracePeriodMs)).rejects.toThrow(
        /expected gracePeriodMs/,
      )
    }
    for (const rateLimit of [
      { limit: 1e300, windowMs: 1000 },
      { limit: 1, windowMs: 1e300 },
      { limit: 1, windowMs: 1000, burst: 2 },
    ]) {
      await expect(apiKeys.createApiKey({ name: 'a', rateLimit })).rejects.toThrow(
        /expected rateLimit/,
      )
      expect(() =>
        createApiKeys({ store: createMemoryStore(), defaultRateLimit: rateLimit }),
      ).toThrow(/expected defaultRateLimit/)
    }
  })

  it('refuses durations beyond 100 years, so no expiry leaves the Date range', async () => {
    const store = createMemoryStore()
    const huge = 36_500 * 86_400_000 + 1
    expect(() => createParameterTokens({ store, maxTtl: huge })).toThrow(RangeError)
    expect(() => createParameterTokens({ store, maxTtl: '36501d' })).toThrow(/at most 36500 days/)
    expect(() => createParameterTokens({ store, expiredRetention: huge })).toThrow(RangeError)
    expect(() => createSigningKeys({ rotateEveryMs: huge })).toThrow(RangeError)
    expect(() => createSigningKeys({ overlapMs: 1e300 })).toThrow(TypeError)
    const tokens = createParameterTokens({ store, maxTtl: '36500d' })
    await expect(tokens.issue({ a: 1 }, { ttl: huge })).rejects.toThrow(RangeError)
    const issued = await tokens.issue({ a: 1 }, { ttl: '36500d' })
    expect(Number.isNaN(issued.expiresAt.getTime())).toBe(false)
  })
})
