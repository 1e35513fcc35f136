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
    await expect(stale(current.keyId)).rejects.toMatchObject({ code: 'jwks_unavailable' })
    mode = 'huge'
    await expect(createRemoteJwks(url, { maxBytes: 1000 })(current.keyId)).rejects.toMatchObject({
      code: 'jwks_unavailable',
    })
    mode = 'ok'
  })

  it('verifyUserToken by JWKS URL: 503 jwks_unavailable while it is down, then verifies; an unknown kid is token_invalid', async () => {
    const tokens = createUserTokens({ issuer: 'i', keys, maxTtl: '1h', now: () => now })
    const { token } = await tokens.issueUserToken({ user: { id: 'a' }, audience: 'x' })
    const stranger = createUserTokens({
      issuer: 'i',
      keys: createSigningKeys({ now: () => now }),
      maxTtl: '1h',
      now: () => now,
    })
    const unknown = (await stranger.issueUserToken({ user: { id: 'a' }, audience: 'x' })).token
    // A closed port: the JWKS server is down.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const options = {
      issuer: 'i',
      audience: 'x',
      keys: createRemoteJwks(`http://127.0.0.1:${port}/jwks`, { cooldownMs: 0 }),
      now: () => now,
    }
    await expect(verifyUserToken(token, options)).rejects.toMatchObject({
      code: 'jwks_unavailable',
      status: 503,
    })
    const back = createServer((_req, res) => {
      void keys.jwks().then((jwks) => res.writeHead(200).end(JSON.stringify(jwks)))
    })
    await new Promise<void>((resolve) => back.listen(port, '127.0.0.1', resolve))
    try {
      expect((await verifyUserToken(token, options)).user.id).toBe('a')
      await expect(verifyUserToken(unknown, options)).rejects.toMatchObject({
        code: 'token_invalid',
      })
    } finally {
      back.closeAllConnections()
      await new Promise<void>((resolve) => back.close(() => resolve()))
    }
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
