/**
 * The relay's auth modes against real issuers on loopback: the Countersign token service (JWT
 * by JWKS object and by JWKS URL, opaque tokens by RFC 7662 introspection), an OIDC provider's
 * JWKS signed with jose, and the custom hook; and a stand-in introspection endpoint that answers
 * whatever a case needs.
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
/** What the stand-in introspection endpoint answers, per token. */
const answers = new Map<string, unknown>()
let fakeIntrospection: TestServer
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
  fakeIntrospection = await startServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? ''
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answers.get(token) ?? { active: false }))
    })
  })
})

afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()))
  await tokenService.close()
  await api.close()
  await fakeIntrospection.close()
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

/** An OIDC provider's key pair, its public JWK served as a JWKS on loopback. */
async function oidcProvider(
  alg: 'RS256' | 'ES256',
  kid: string,
): Promise<{ privateKey: CryptoKey; provider: TestServer }> {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg)
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' }
  const provider = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys: [jwk] }))
  })
  return { privateKey, provider }
}

describe('OIDC', () => {
  it('verifies provider JWTs against the provider JWKS URL', async () => {
    const { privateKey, provider } = await oidcProvider('RS256', 'oidc-1')
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

// Issue #14, item 2: every authenticator binds a token to this relay's issuer and audience,
// and forwards the same user claims.
const introspectionAt = (url: string, audience: string | string[] = AUDIENCE): RelayAuth => ({
  type: 'introspection',
  url,
  apiKey: introspectionKey,
  issuer: ISSUER,
  audience,
})

describe('introspection checks audience, issuer and token type like the JWT path', () => {
  it('refuses a token the shared token service issued to another app, JWT or opaque', async () => {
    const relay = await relayFor(introspectionAt(`${tokenService.url}/oauth/introspect`))
    const jwtPath = await relayFor({
      type: 'countersign',
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `${tokenService.url}/.well-known/jwks.json`,
    })
    for (const format of ['jwt', 'opaque'] as const) {
      const { token: other } = await userTokens.issueUserToken({
        user: { id: 'u-b' },
        audience: 'app-b',
        format,
      })
      const [status, body] = await userOf(relay, other)
      expect([format, status, body.code]).toEqual([format, 401, 'not_logged_in'])
      if (format === 'jwt') {
        expect((await userOf(jwtPath, other))[0]).toBe(401)
      }
      const { token: mine } = await userTokens.issueUserToken({
        user: { id: 'u-a', name: 'Ada' },
        audience: AUDIENCE,
        scope: 'orders:read',
        format,
      })
      const [ok, answer] = await userOf(relay, mine)
      expect([format, ok]).toEqual([format, 200])
      // The guide: scope and other token claims are not forwarded, on every path.
      expect(answer.user).toEqual({ user_id: 'u-a', name: 'Ada' })
      if (format === 'jwt') {
        expect((await userOf(jwtPath, mine))[1].user).toEqual({ user_id: 'u-a', name: 'Ada' })
      }
    }
  })

  const now = () => Math.floor(Date.now() / 1000)
  const good = () => ({
    active: true,
    token_type: 'Bearer',
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'u-1',
    exp: now() + 600,
    iat: now() - 5,
    scope: 'admin',
    client_id: 'app-a',
  })
  const cases: [string, number, () => Record<string, unknown>][] = [
    ['a complete answer', 200, () => good()],
    ['aud as an array with this audience', 200, () => ({ ...good(), aud: ['x', AUDIENCE] })],
    ['token_type in another case', 200, () => ({ ...good(), token_type: 'bearer' })],
    ['no aud', 401, () => ({ ...good(), aud: undefined })],
    ['another aud', 401, () => ({ ...good(), aud: 'app-b' })],
    ['aud as an array without this audience', 401, () => ({ ...good(), aud: ['app-b', 'x'] })],
    ['an empty aud array', 401, () => ({ ...good(), aud: [] })],
    ['aud not a string', 401, () => ({ ...good(), aud: [7] })],
    ['no iss', 401, () => ({ ...good(), iss: undefined })],
    ['another iss', 401, () => ({ ...good(), iss: 'https://evil.test' })],
    ['active false', 401, () => ({ ...good(), active: false })],
    ['active as a string', 401, () => ({ ...good(), active: 'true' })],
    ['a parameter token', 401, () => ({ ...good(), token_type: 'parameter_token' })],
    ['a refresh token', 401, () => ({ ...good(), token_type: 'refresh_token' })],
    ['no token_type', 401, () => ({ ...good(), token_type: undefined })],
    ['no exp', 401, () => ({ ...good(), exp: undefined })],
    ['an exp in the past', 401, () => ({ ...good(), exp: now() - 120 })],
    ['exp as a string', 401, () => ({ ...good(), exp: String(now() + 600) })],
    ['an nbf in the future', 401, () => ({ ...good(), nbf: now() + 600 })],
    ['an iat in the future', 401, () => ({ ...good(), iat: now() + 600 })],
    ['an array', 401, () => [good()] as never],
  ]
  it.each(cases)('answers %s with %i', async (name, status, answer) => {
    const relay = await relayFor(introspectionAt(`${fakeIntrospection.url}/introspect`))
    const token = `tok-${name.replaceAll(/[^a-z]/g, '')}`
    answers.set(token, answer())
    const [got, body] = await userOf(relay, token)
    expect(got).toBe(status)
    if (status === 200) {
      expect(body.user).toEqual({ user_id: 'u-1' })
    } else {
      expect(body.code).toBe('not_logged_in')
    }
  })

  it('keeps answers per audience: a relay for app-b never reuses what app-a accepted', async () => {
    const url = `${fakeIntrospection.url}/introspect`
    const relayA = await relayFor(introspectionAt(url, AUDIENCE))
    const relayB = await relayFor(introspectionAt(url, 'app-b'))
    answers.set('tok-shared', good())
    expect((await userOf(relayA, 'tok-shared'))[0]).toBe(200)
    expect((await userOf(relayB, 'tok-shared'))[0]).toBe(401)
    expect((await userOf(relayA, 'tok-shared'))[0]).toBe(200)
  })
})

describe('OIDC checks the token type and forwards the same claims', () => {
  it('refuses JWTs that are not ID or access tokens, and leaves out scope', async () => {
    const { privateKey, provider } = await oidcProvider('ES256', 'k1')
    try {
      const relay = await relayFor({
        type: 'oidc',
        issuer: 'https://idp.test',
        audience: AUDIENCE,
        jwksUrl: `${provider.url}/jwks`,
      })
      const sign = (typ: string | undefined, audience = AUDIENCE) =>
        new jose.SignJWT({ sub: 'o-1', scope: 'admin', scp: ['admin'], email: 'o@x.test' })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ === undefined ? {} : { typ }) })
          .setIssuer('https://idp.test')
          .setAudience(audience)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
      for (const typ of [undefined, 'JWT', 'at+jwt', 'application/at+jwt']) {
        const [status, body] = await userOf(relay, await sign(typ))
        expect([typ, status]).toEqual([typ, 200])
        expect(body.user).toEqual({ user_id: 'o-1', email: 'o@x.test' })
      }
      for (const typ of ['logout+jwt', 'dpop+jwt', 'secevent+jwt', 'refresh+jwt']) {
        expect([typ, (await userOf(relay, await sign(typ)))[0]]).toEqual([typ, 401])
      }
      expect((await userOf(relay, await sign('JWT', 'app-b')))[0]).toBe(401)
    } finally {
      await provider.close()
    }
  })
})

describe('OIDC tokens get the JWS checks of Countersign user tokens (one JWT path)', () => {
  it('refuses headers that carry keys, key URLs or b64, and accepts the same token without them', async () => {
    const { privateKey, provider } = await oidcProvider('ES256', 'k1')
    try {
      const relay = await relayFor({
        type: 'oidc',
        issuer: 'https://idp.test',
        audience: AUDIENCE,
        jwksUrl: `${provider.url}/jwks`,
      })
      const sign = (extra: Record<string, unknown>) =>
        new jose.SignJWT({ sub: 'o-1' })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...extra })
          .setIssuer('https://idp.test')
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
      expect((await userOf(relay, await sign({})))[0]).toBe(200)
      for (const extra of [
        { jku: 'https://evil.test/jwks' },
        { x5u: 'https://evil.test/cert' },
        { b64: true },
      ]) {
        expect([extra, (await userOf(relay, await sign(extra)))[0]]).toEqual([extra, 401])
      }
    } finally {
      await provider.close()
    }
  })
})
