/**
 * Every authenticator binds a token to this relay's issuer and audience, and forwards the same
 * user claims (issue #14, item 2): over real HTTP, with the real token service and a stand-in
 * introspection endpoint on loopback that answers whatever a case needs.
 */
import { createMemoryStore } from '@countersign/core'
import {
  createApiKeys,
  createSigningKeys,
  createTokenService,
  createUserTokens,
  TOKEN_SERVICE_SCOPES,
  type UserTokens,
} from '@countersign/tokens'
import * as jose from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRelay } from '../create-relay.ts'
import { serveRelay } from '../node/serve-relay.ts'
import { json, relayKeys, relayRequest, startServer, type TestServer } from '../test-kit.ts'
import type { RelayAuth, RelayHandler } from '../types.ts'

const ISSUER = 'https://tokens.test'
const AUDIENCE = 'app-a'
const masterKey = new Uint8Array(32).fill(3)

let tokenService: Awaited<ReturnType<typeof serveRelay>>
let userTokens: UserTokens
let introspectionKey: string
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
  token: string,
): Promise<[number, Record<string, unknown>]> {
  const response = await relay(relayRequest({ url: `${api.url}/api/me`, data: {} }, { token }))
  return [response.status, await json(response)]
}

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
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256')
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }
    const provider = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ keys: [jwk] }))
    })
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
