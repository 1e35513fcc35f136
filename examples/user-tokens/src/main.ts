/**
 * Kaizala's integration-service token with Countersign, end to end on 127.0.0.1 with SQLite.
 * A card (action package) gets a 30-minute token for its user and sends it to your API in the
 * `accessToken` header; your API validates it in one of three ways:
 *
 * 1. locally, against the token service's JWKS (no call per request);
 * 2. remotely, with `GET /v1/users/me` (Kaizala's shape);
 * 3. remotely, with RFC 7662 introspection.
 *
 * Edited, foreign, expired and revoked tokens are refused. Exits non-zero if any step fails.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isCountersignError, randomBytes } from '@countersign/core'
import { detail, expect, finish, section, step } from '@countersign/example-kit/steps.ts'
import { createSqliteStore } from '@countersign/store/sqlite'
import {
  createApiKeys,
  createRemoteJwks,
  createTokenService,
  verifyUserToken,
} from '@countersign/tokens'
import { serveTokenService } from '@countersign/tokens/node'

const ISSUER = 'https://tokens.example.test'
const ACTION_PACKAGE = 'action-package-7'
const dir = mkdtempSync(join(tmpdir(), 'countersign-user-tokens-'))
const store = createSqliteStore({ path: join(dir, 'tokens.db') })
const masterKey = randomBytes(32)
const apiKeys = createApiKeys({ store, masterKey })
const service = await serveTokenService(
  createTokenService({ store, issuer: ISSUER, masterKey, apiKeys }),
  { port: 0 },
)
const { key: cardBackendKey } = await apiKeys.createApiKey({
  name: 'card back end',
  scopes: ['user-tokens:issue', 'tokens:revoke'],
})
const { key: apiIntrospectionKey } = await apiKeys.createApiKey({
  name: 'your API',
  scopes: ['tokens:introspect'],
})

/** Your API: validates the `accessToken` header locally, with keys from the JWKS (cached). */
const jwks = createRemoteJwks(`${service.url}/.well-known/jwks.json`)
const api = createServer(async (req, res) => {
  const token = req.headers.accesstoken
  try {
    if (typeof token !== 'string') {
      throw new Error('no accessToken header')
    }
    const claims = await verifyUserToken(token, {
      issuer: ISSUER,
      audience: ACTION_PACKAGE,
      keys: jwks,
    })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ hello: claims.user.id, name: claims.user.name }))
  } catch (error) {
    res.writeHead(401, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ code: isCountersignError(error) ? error.code : 'unauthorized' }))
  }
})
const apiUrl: string = await new Promise((resolve) => {
  api.listen(0, '127.0.0.1', () =>
    resolve(`http://127.0.0.1:${(api.address() as AddressInfo).port}`),
  )
})

async function issue(audience = ACTION_PACKAGE): Promise<string> {
  const response = await fetch(`${service.url}/v1/user-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cardBackendKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      user: {
        id: 'user-42',
        name: 'Ada',
        phoneNumber: '+15550100',
        pictureUrl: 'https://pics.example/ada.png',
      },
      audience,
      ttl: '30m',
    }),
  })
  expect(response.status === 201, `POST /v1/user-tokens answered ${response.status}`)
  return ((await response.json()) as { access_token: string }).access_token
}

async function usersMe(token: string): Promise<{ status: number; body: Record<string, string> }> {
  const response = await fetch(`${service.url}/v1/users/me`, { headers: { accessToken: token } })
  return { status: response.status, body: (await response.json()) as Record<string, string> }
}

async function introspect(token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${service.url}/oauth/introspect`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiIntrospectionKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  })
  expect(response.status === 200, `introspection answered ${response.status}`)
  return (await response.json()) as Record<string, unknown>
}

async function callApi(token: string): Promise<string> {
  const response = await fetch(`${apiUrl}/whoami`, { headers: { accessToken: token } })
  const body = (await response.json()) as { hello?: string; code?: string }
  return `${response.status} ${body.hello ?? body.code}`
}

try {
  console.log('Countersign user-tokens example: real servers on 127.0.0.1, real SQLite.')
  detail(`token service on ${service.url}, your API on ${apiUrl}`)

  section('1. The card gets a 30-minute token for its user (like getIntegrationServiceToken)')
  let token = ''
  await step('POST /v1/user-tokens issues a JWT for user-42 and the action package', async () => {
    token = await issue()
    const [, payload] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as {
      exp: number
      iat: number
      aud: string
    }
    expect(claims.exp - claims.iat === 1800, `lifetime ${claims.exp - claims.iat} s`)
    return `valid ${claims.exp - claims.iat} s, aud ${claims.aud}`
  })

  section('2. Your API validates it locally, against the JWKS')
  await step('a call with the token in accessToken is accepted', async () => {
    const outcome = await callApi(token)
    expect(outcome === '200 user-42', `got ${outcome}`)
    return `${outcome} (keys fetched once from /.well-known/jwks.json, then cached)`
  })
  await step('attack refused: a token whose claims were edited', async () => {
    const [header, payload, signature] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())
    claims.sub = 'admin'
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    const outcome = await callApi(forged)
    expect(outcome.startsWith('401'), `got ${outcome}`)
    return outcome
  })
  await step('attack refused: a token issued for another action package', async () => {
    const outcome = await callApi(await issue('another-package'))
    expect(outcome.startsWith('401'), `got ${outcome}`)
    return outcome
  })
  await step('attack refused: the token 31 minutes later (past its 30 minutes)', async () => {
    try {
      await verifyUserToken(token, {
        issuer: ISSUER,
        audience: ACTION_PACKAGE,
        keys: jwks,
        now: () => Date.now() + 31 * 60_000,
      })
    } catch (error) {
      expect(isCountersignError(error, 'token_expired'), `expected token_expired, got ${error}`)
      return error.code
    }
    throw new Error('an expired token was accepted')
  })

  section('3. Or remotely, at the token service')
  await step('GET /v1/users/me with accessToken answers as Kaizala did', async () => {
    const { status, body } = await usersMe(token)
    expect(status === 200 && body.id === 'user-42', `got ${status}`)
    expect(body.actionPackageId === ACTION_PACKAGE, `actionPackageId ${body.actionPackageId}`)
    return `${status} { id: ${body.id}, name: ${body.name}, phoneNumber: ${body.phoneNumber}, actionPackageId: ${body.actionPackageId} }`
  })
  await step('POST /oauth/introspect (RFC 7662) says active, for whom and until when', async () => {
    const answer = await introspect(token)
    expect(answer.active === true && answer.sub === 'user-42', JSON.stringify(answer))
    return `active: ${answer.active}, sub: ${answer.sub}, aud: ${answer.aud}, exp: ${answer.exp}`
  })
  await step(
    'attack refused: introspecting garbage answers exactly { active: false }',
    async () => {
      const answer = await introspect('not-a-token')
      expect(JSON.stringify(answer) === '{"active":false}', JSON.stringify(answer))
      return JSON.stringify(answer)
    },
  )

  section('4. Revocation (RFC 7009): remote checks see it at once')
  await step('attack refused: the token after the card back end revoked it', async () => {
    const revoke = await fetch(`${service.url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${cardBackendKey}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    })
    expect(revoke.status === 200, `revoke answered ${revoke.status}`)
    const me = await usersMe(token)
    const answer = await introspect(token)
    expect(me.status === 401, `/v1/users/me answered ${me.status}`)
    expect(answer.active === false, JSON.stringify(answer))
    return `/v1/users/me ${me.status}, introspection active: ${answer.active}`
  })
  await step('a local check sees it only with the denylist store', async () => {
    try {
      await verifyUserToken(token, {
        issuer: ISSUER,
        audience: ACTION_PACKAGE,
        keys: jwks,
        denylist: store,
      })
    } catch (error) {
      expect(isCountersignError(error, 'token_revoked'), `expected token_revoked, got ${error}`)
      return `${error.code} (without it, a revoked JWT is valid until exp: keep lifetimes short)`
    }
    throw new Error('a revoked token was accepted with the denylist')
  })
} finally {
  await new Promise<void>((resolve) => {
    api.close(() => resolve())
    api.closeAllConnections()
  })
  await service.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  finish('user-tokens')
}
