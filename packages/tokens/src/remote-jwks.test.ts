import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as core from '@countersign/core'
import { createRemoteJwks } from '@countersign/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as tokens from './index.ts'
import { createSigningKeys } from './signing-keys.ts'
import { createUserTokens } from './user-tokens.ts'
import { verifyUserToken } from './verify-user-token.ts'

const DAY = 86_400_000
let now = 100 * DAY
const keys = createSigningKeys({ rotateEveryMs: DAY, overlapMs: DAY / 2, now: () => now })
let hits = 0
let mode: 'ok' | 'fail' | 'huge' = 'ok'
const server = createServer((_req, res) => {
  hits++
  if (mode === 'fail') {
    res.writeHead(500).end()
    return
  }
  if (mode === 'huge') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(`{"keys":[],"pad":"${'x'.repeat(100_000)}"}`)
    return
  }
  void keys.jwks().then((jwks) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(jwks))
  })
})
let url = ''
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('createRemoteJwks', () => {
  it('fetches, caches, and refetches on an unknown kid after the cooldown', async () => {
    const tokens = createUserTokens({ issuer: 'i', keys, maxTtl: '1h', now: () => now })
    const remote = createRemoteJwks(url, { cooldownMs: 0 })
    const first = await tokens.issueUserToken({ user: { id: 'a' }, audience: 'x' })
    const options = { issuer: 'i', audience: 'x', keys: remote, now: () => now }
    hits = 0
    expect((await verifyUserToken(first.token, options)).user.id).toBe('a')
    expect((await verifyUserToken(first.token, options)).user.id).toBe('a')
    expect(hits).toBe(1)
    now += DAY // rotate: a new kid
    const second = await tokens.issueUserToken({ user: { id: 'b' }, audience: 'x' })
    expect((await verifyUserToken(second.token, options)).user.id).toBe('b')
    expect(hits).toBe(2)
  })

  it('respects the cooldown and keeps the last good keys when a fetch fails', async () => {
    const remote = createRemoteJwks(url, { cooldownMs: 60_000 })
    const current = await keys.current()
    hits = 0
    expect((await remote(current.keyId))?.keyId).toBe(current.keyId)
    expect(await remote('unknown')).toBeUndefined()
    expect(await remote('unknown')).toBeUndefined()
    expect(hits).toBe(1)
    mode = 'fail'
    const stale = createRemoteJwks(url, { cacheMaxAgeMs: 0 })
    expect(await stale(current.keyId)).toBeUndefined()
    mode = 'huge'
    expect(await createRemoteJwks(url, { maxBytes: 1000 })(current.keyId)).toBeUndefined()
    mode = 'ok'
  })

  it("is core's createRemoteJwks: one remote JWKS cache for every JWT path", () => {
    expect(tokens.createRemoteJwks).toBe(core.createRemoteJwks)
  })

  it('refuses plain http except on loopback', () => {
    expect(() => createRemoteJwks('http://tokens.example/jwks')).toThrow(TypeError)
    expect(() => createRemoteJwks('https://tokens.example/jwks')).not.toThrow()
    expect(() => createRemoteJwks('ftp://x/jwks')).toThrow(TypeError)
  })
})
