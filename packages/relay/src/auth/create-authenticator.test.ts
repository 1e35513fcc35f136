/**
 * The relay's auth modes against real issuers on loopback: the Countersign token service (JWT
 * by JWKS object and by JWKS URL, opaque tokens by RFC 7662 introspection), an OIDC provider's
 * JWKS signed with jose, and the custom hook.
 */
import { AuthError, createMemoryStore } from '@countersign/core'
import {
  createApiKeys,
  createSigningKeys,
  createTokenService,
  createUserTokens,
  TOKEN_SERVICE_SCOPES,
  type UserTokens,
} from '@countersign/tokens'
import * as jose from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRelay } from '../create-relay.ts'
import { serveRelay } from '../node/serve-relay.ts'
import { json, relayKeys, relayRequest, startServer, type TestServer } from '../test-kit.ts'
import type { RelayAuth, RelayHandler } from '../types.ts'

const ISSUER = 'https://tokens.test'
const AUDIENCE = 'relay-test'
const masterKey = new Uint8Array(32).fill(7)

let tokenService: Awaited<ReturnType<typeof serveRelay>>
let userTokens: UserTokens
let introspectionKey: string
let jwks: Awaited<ReturnType<ReturnType<typeof createSigningKeys>['jwks']>>
let api: TestServer
const relays: RelayHandler[] = []

beforeAll(async () => {
  const store = createMemoryStore()
  const signingKeys = createSigningKeys()
  userTokens = createUserTokens({ issuer: ISSUER, keys: signingKeys, store })
  const apiKeys = createApiKeys({ store, masterKey })
  introspectionKey = (
    await apiKeys.createApiKey({ name: 'relay', scopes: [TOKEN_SERVICE_SCOPES.introspect] })
  ).key
  const service = createTokenService({
    store,
    issuer: ISSUER,
    masterKey,
    apiKeys,
    signingKeys,
    userTokens,
  })
  tokenService = await serveRelay(service, { port: 0 })
  jwks = await signingKeys.jwks()
  api = await startServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ user: JSON.parse(body).user }))
    })
  })
})

afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()))
  await tokenService.close()
  await api.close()
})

async function relayFor(auth: RelayAuth): Promise<RelayHandler> {
  const { ring } = await relayKeys()
  const relay = createRelay({
    keys: ring,
    auth,
    targets: [{ id: 'api', baseUrl: `${api.url}/api`, allowPrivateNetwork: true, allowHttp: true }],
  })
  relays.push(relay)
  return relay
}

async function userOf(
  relay: RelayHandler,
  token: string | null,
): Promise<[number, Record<string, unknown>]> {
  const response = await relay(relayRequest({ url: `${api.url}/api/me`, data: {} }, { token }))
  return [response.status, await json(response)]
}

describe('countersign user tokens', () => {
  it('verifies JWTs locally with a JWKS object and with the JWKS URL', async () => {
    const { token } = await userTokens.issueUserToken({
      user: { id: 'u-123', name: 'Ada', locale: 'KR' },
      audience: AUDIENCE,
    })
    for (const auth of [
      { type: 'countersign', issuer: ISSUER, audience: AUDIENCE, jwks },
      {
        type: 'countersign',
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: `${tokenService.url}/.well-known/jwks.json`,
      },
    ] as RelayAuth[]) {
      const relay = await relayFor(auth)
      const [status, body] = await userOf(relay, token)
      expect(status).toBe(200)
      expect(body.user).toEqual({ user_id: 'u-123', name: 'Ada', locale: 'KR' })
    }
  })

  it('refuses other audiences, garbage and missing tokens with 401 not_logged_in', async () => {
    const relay = await relayFor({ type: 'countersign', issuer: ISSUER, audience: AUDIENCE, jwks })
    const { token: other } = await userTokens.issueUserToken({
      user: { id: 'u-1' },
      audience: 'someone-else',
    })
    for (const token of [other, 'garbage', `${other}x`, null]) {
      const [status, body] = await userOf(relay, token)
      expect(status).toBe(401)
      expect(body.code).toBe('not_logged_in')
      expect(JSON.stringify(body)).not.toContain(other.slice(20, 60))
    }
  })
})

describe('introspection (RFC 7662 at the token service)', () => {
  it('accepts active opaque tokens, caches the answer, and refuses revoked ones once the cache ends', async () => {
    const relay = await relayFor({
      type: 'introspection',
      url: `${tokenService.url}/oauth/introspect`,
      apiKey: introspectionKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      cacheMs: 200,
    })
    const { token } = await userTokens.issueUserToken({
      user: { id: 'u-9', name: 'Grace' },
      audience: AUDIENCE,
      format: 'opaque',
    })
    // The cache reads Date.now(): hold the clock still, so a slow machine cannot outlast the
    // 200 ms between the first request and the one that must still hit the cache.
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(start)
    try {
      const [status, body] = await userOf(relay, token)
      expect(status).toBe(200)
      expect(body.user).toMatchObject({ user_id: 'u-9', name: 'Grace' })
      expect(body.user).not.toHaveProperty('active')
      expect(body.user).not.toHaveProperty('exp')
      await userTokens.revoke(token)
      // Cached for cacheMs: still accepted until then, refused after.
      vi.setSystemTime(start + 199)
      expect((await userOf(relay, token))[0]).toBe(200)
      vi.setSystemTime(start + 200)
      const [after, problem] = await userOf(relay, token)
      expect(after).toBe(401)
      expect(problem.code).toBe('not_logged_in')
    } finally {
      vi.useRealTimers()
    }
  })

  it('answers 502 when the introspection endpoint refuses the relay', async () => {
    const relay = await relayFor({
      type: 'introspection',
      url: `${tokenService.url}/oauth/introspect`,
      apiKey: 'cs_ak_wrong',
      issuer: ISSUER,
      audience: AUDIENCE,
    })
    const [status, body] = await userOf(relay, 'some-token')
    expect(status).toBe(502)
    expect(body.code).toBe('upstream_error')
  })
})

describe('OIDC', () => {
  it('verifies provider JWTs against the provider JWKS URL', async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('RS256')
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'oidc-1', alg: 'RS256', use: 'sig' }
    const provider = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ keys: [jwk] }))
    })
    try {
      const relay = await relayFor({
        type: 'oidc',
        issuer: 'https://idp.test',
        audience: 'relay-client',
        jwksUrl: `${provider.url}/jwks`,
      })
      const sign = (claims: jose.JWTPayload, exp = '5m') =>
        new jose.SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: 'oidc-1' })
          .setIssuer('https://idp.test')
          .setAudience('relay-client')
          .setIssuedAt()
          .setExpirationTime(exp)
          .sign(privateKey)
      const [status, body] = await userOf(
        relay,
        await sign({ sub: 'oidc-user', email: 'a@b.test', azp: 'x' }),
      )
      expect(status).toBe(200)
      expect(body.user).toEqual({ user_id: 'oidc-user', email: 'a@b.test' })
      const expired = await new jose.SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'RS256', kid: 'oidc-1' })
        .setIssuer('https://idp.test')
        .setAudience('relay-client')
        .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 600)
        .sign(privateKey)
      const [expiredStatus, expiredBody] = await userOf(relay, expired)
      expect(expiredStatus).toBe(401)
      expect(expiredBody.detail).toBe('the session token has expired')
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"admin","iss":"https://idp.test","aud":"relay-client","exp":9999999999}').toString('base64url')}.`
      expect((await userOf(relay, unsigned))[0]).toBe(401)
      const noSub = await sign({})
      expect((await userOf(relay, noSub))[0]).toBe(401)
    } finally {
      await provider.close()
    }
  })
})

describe('custom hook', () => {
  it('uses what the hook returns, and maps every refusal to 401 unless it throws a coded error', async () => {
    const relay = await relayFor({
      type: 'custom',
      authenticate(request) {
        const token = request.headers.get('authorization')
        if (token === 'Bearer ok') {
          return { user_id: 'hooked', plan: 'pro' }
        }
        if (token === 'Bearer throw') {
          throw new Error('database down with secret connection string')
        }
        if (token === 'Bearer forbidden') {
          throw new AuthError('forbidden', 'suspended account')
        }
        if (token === 'Bearer bad-shape') {
          return { user_id: '' } as never
        }
        return null
      },
    })
    const [status, body] = await userOf(relay, 'ok')
    expect(status).toBe(200)
    expect(body.user).toEqual({ user_id: 'hooked', plan: 'pro' })
    const [thrown, problem] = await userOf(relay, 'throw')
    expect(thrown).toBe(401)
    expect(JSON.stringify(problem)).not.toContain('secret')
    expect((await userOf(relay, 'forbidden'))[0]).toBe(403)
    expect((await userOf(relay, 'bad-shape'))[0]).toBe(401)
    expect((await userOf(relay, 'nobody'))[0]).toBe(401)
  })
})
