import { connect } from 'node:net'
import { createMemoryStore, type Store } from '@countersign/core'
import type { RunningServer } from '@countersign/node-server'
import * as jose from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createApiKeys } from '../api-keys.ts'
import { serveTokenService } from '../node/serve.ts'
import { createParameterTokens } from '../parameter-tokens.ts'
import { createSigningKeys } from '../signing-keys.ts'
import { createUserTokens } from '../user-tokens.ts'
import { verifyUserToken } from '../verify-user-token.ts'
import {
  createTokenService,
  TOKEN_SERVICE_SCOPES,
  type TokenServiceLogEvent,
} from './token-service.ts'

const ISSUER = 'https://tokens.test'
const masterKey = new Uint8Array(32).fill(1)

interface Env {
  server: RunningServer
  url: string
  store: Store
  logs: TokenServiceLogEvent[]
  admin: string
  generator: string
  issuer: string
  introspector: string
  revoker: string
  limited: string
  apiKeys: ReturnType<typeof createApiKeys>
}

let env: Env

async function setup(store: Store = createMemoryStore()): Promise<Env> {
  const logs: TokenServiceLogEvent[] = []
  const apiKeys = createApiKeys({ store, masterKey })
  const make = async (scopes: string[], rateLimit?: { limit: number; windowMs: number }) =>
    (
      await apiKeys.createApiKey({
        name: scopes.join(','),
        scopes,
        ...(rateLimit ? { rateLimit } : {}),
      })
    ).key
  const handler = createTokenService({
    store,
    issuer: ISSUER,
    masterKey,
    apiKeys,
    logger: (event) => logs.push(event),
    maxBodyBytes: 4096,
  })
  const server = await serveTokenService(handler, { port: 0, maxBodyBytes: 8192 })
  return {
    server,
    url: server.url,
    store,
    logs,
    apiKeys,
    admin: await make([TOKEN_SERVICE_SCOPES.admin]),
    generator: await make([TOKEN_SERVICE_SCOPES.generate]),
    issuer: await make([TOKEN_SERVICE_SCOPES.issueUserTokens]),
    introspector: await make([TOKEN_SERVICE_SCOPES.introspect]),
    revoker: await make([TOKEN_SERVICE_SCOPES.revoke]),
    limited: await make([TOKEN_SERVICE_SCOPES.generate], { limit: 2, windowMs: 60_000 }),
  }
}

beforeAll(async () => {
  env = await setup()
})
afterAll(async () => {
  await env.server.close()
})

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(env.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
const form = (path: string, body: string, key: string) =>
  fetch(env.url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${key}`,
    },
    body,
  })

async function generate(params: unknown = { auth: 'apiKey', file: 'filePath' }): Promise<string> {
  const response = await post('/generate', params, { 'x-api-key': env.generator })
  expect(response.status).toBe(200)
  return ((await response.json()) as { token: string }).token
}

async function userToken(body: object = {}): Promise<string> {
  const response = await post(
    '/v1/user-tokens',
    {
      user: { id: 'u1', name: 'Ada', phoneNumber: '+1555', pictureUrl: 'https://p/x.png' },
      audience: 'pkg-9',
      ...body,
    },
    { authorization: `Bearer ${env.issuer}` },
  )
  expect(response.status).toBe(201)
  return ((await response.json()) as { access_token: string }).access_token
}

/** Sends raw bytes over TCP and returns the raw response head. */
function raw(request: string): Promise<string> {
  const { port } = new URL(env.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request))
    let data = ''
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1')
    })
    socket.on('end', () => resolve(data))
    socket.on('error', reject)
    setTimeout(() => {
      socket.destroy()
      resolve(data)
    }, 2000)
  })
}

describe('Kudo routes', () => {
  it('POST /generate then GET /verify returns the parameters', async () => {
    const params = {
      auth: 'apiKey',
      file: 'filePath',
      userId: 'userId',
      server: 'serverId',
      param: 'value',
    }
    const response = await post('/generate', params, { 'x-api-key': env.generator })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { token: string; expiration_time: number }
    expect(Object.keys(body).sort()).toEqual(['expiration_time', 'token'])
    expect(body.token).toMatch(/^cs_pt_/)
    expect(body.expiration_time).toBeGreaterThan(Date.now() / 1000)
    expect(Number.isInteger(body.expiration_time)).toBe(true)
    const verify = await fetch(`${env.url}/verify`, {
      headers: { 'content-type': 'application/json', 'x-api-token': body.token },
    })
    expect(verify.status).toBe(200)
    expect(await verify.json()).toEqual(params)
  })

  it('answers errors with 403 and a descriptive message', async () => {
    const cases: Array<[Promise<Response>, string, string]> = [
      [
        fetch(`${env.url}/verify`, { headers: { 'x-api-token': 'cs_pt_nope' } }),
        'Wrong token',
        'token_invalid',
      ],
      [fetch(`${env.url}/verify`), 'Missing token', 'token_missing'],
      [post('/generate', { a: 1 }), 'Missing API key', 'api_key_invalid'],
      [
        post('/generate', { a: 1 }, { 'x-api-key': 'cs_ak_wrong' }),
        'Wrong API key',
        'api_key_invalid',
      ],
      [
        post('/generate', { a: 1 }, { 'x-api-key': env.issuer }),
        `API key lacks the tokens:generate scope`,
        'forbidden',
      ],
      [
        post('/generate', '{"a":', { 'x-api-key': env.generator }),
        'Invalid JSON body',
        'invalid_json',
      ],
      [
        post('/generate', '[1,2]', { 'x-api-key': env.generator }),
        'Invalid JSON body',
        'invalid_json',
      ],
      [
        post('/generate', { a: 1 }, { 'x-api-key': env.generator, 'content-type': 'text/plain' }),
        'Content-Type must be application/json',
        'unsupported_media_type',
      ],
      // A malformed or repeated charset: no media type to accept.
      ...[
        'application/json; charset=utf-8=x',
        'application/json; charset=utf-8; charset=latin1',
        'application/json; charset=latin1; charset=utf-8',
      ].map((type): [Promise<Response>, string, string] => [
        post('/generate', { a: 1 }, { 'x-api-key': env.generator, 'content-type': type }),
        'Content-Type must be application/json',
        'unsupported_media_type',
      ]),
    ]
    for (const [pending, message, code] of cases) {
      const response = await pending
      expect(response.status, message).toBe(403)
      expect(response.headers.get('content-type')).toBe('application/json')
      expect(response.headers.get('countersign-error')).toBe(code)
      expect(await response.json()).toEqual({ message })
    }
  })

  it('revoked and expired tokens say so', async () => {
    const token = await generate()
    const revoke = await form('/oauth/revoke', `token=${token}`, env.revoker)
    // The revoker did not issue it (clientId differs): RFC 7009 still answers 200, token stays.
    expect(revoke.status).toBe(200)
    let verify = await fetch(`${env.url}/verify`, { headers: { 'x-api-token': token } })
    expect(verify.status).toBe(200)
    const admin = await form('/oauth/revoke', `token=${token}`, (await adminRevoker()).key)
    expect(admin.status).toBe(200)
    verify = await fetch(`${env.url}/verify`, { headers: { 'x-api-token': token } })
    expect(verify.status).toBe(403)
    expect(await verify.json()).toEqual({ message: 'Token revoked' })
  })

  it('enforces per-key rate limits (as 403 on Kudo routes, with Retry-After)', async () => {
    expect((await post('/generate', { a: 1 }, { 'x-api-key': env.limited })).status).toBe(200)
    expect((await post('/generate', { a: 1 }, { 'x-api-key': env.limited })).status).toBe(200)
    const third = await post('/generate', { a: 1 }, { 'x-api-key': env.limited })
    expect(third.status).toBe(403)
    expect(third.headers.get('countersign-error')).toBe('rate_limited')
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await third.json()).toEqual({ message: 'Rate limit exceeded' })
  })
})

async function adminRevoker() {
  return env.apiKeys.createApiKey({
    name: 'root-revoker',
    scopes: [TOKEN_SERVICE_SCOPES.revoke, TOKEN_SERVICE_SCOPES.admin],
  })
}

describe('Kaizala route', () => {
  it('GET /v1/users/me answers the user for a valid accessToken', async () => {
    for (const format of ['jwt', 'opaque']) {
      const token = await userToken({ format })
      const response = await fetch(`${env.url}/v1/users/me`, { headers: { accessToken: token } })
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({
        id: 'u1',
        name: 'Ada',
        phoneNumber: '+1555',
        pictureUrl: 'https://p/x.png',
        actionPackageId: 'pkg-9',
      })
    }
  })

  it('answers 401 with a message for bad tokens', async () => {
    for (const [headers, message] of [
      [{}, 'Missing access token'],
      [{ accessToken: 'garbage' }, 'Invalid access token'],
      [{ accessToken: 'a.b.c' }, 'Invalid access token'],
      [{ accessToken: 'cs_ut_x' }, 'Invalid access token'],
    ] as const) {
      const response = await fetch(`${env.url}/v1/users/me`, { headers })
      expect(response.status).toBe(401)
      expect(await response.json()).toEqual({ message })
    }
  })
})

describe('user tokens and OAuth routes', () => {
  it('POST /v1/user-tokens issues a JWT verifiable with the published JWKS', async () => {
    const response = await post(
      '/v1/user-tokens',
      { user: { id: 'u2', team: 'red' }, audience: 'api-1', ttl: '10m', scope: 'read' },
      { 'x-api-key': env.issuer },
    )
    expect(response.status).toBe(201)
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toMatchObject({ token_type: 'Bearer', format: 'jwt' })
    expect(body.expires_in).toBeGreaterThan(590)
    const jwksResponse = await fetch(`${env.url}/.well-known/jwks.json`)
    expect(jwksResponse.status).toBe(200)
    expect(jwksResponse.headers.get('cache-control')).toBe('public, max-age=300')
    const jwks = (await jwksResponse.json()) as { keys: Array<Record<string, unknown>> }
    expect(jwks.keys.length).toBeGreaterThan(0)
    expect(JSON.stringify(jwks)).not.toContain('"d"')
    const verified = await verifyUserToken(body.access_token as string, {
      issuer: ISSUER,
      audience: 'api-1',
      jwks: jwks as never,
    })
    expect(verified.user).toEqual({ id: 'u2', team: 'red' })
    expect(verified.scope).toBe('read')
    // jose agrees.
    const { payload } = await jose.jwtVerify(
      body.access_token as string,
      jose.createLocalJWKSet(jwks as never),
      {
        issuer: ISSUER,
        audience: 'api-1',
        typ: 'at+jwt',
      },
    )
    expect(payload.sub).toBe('u2')
  })

  it('POST /oauth/introspect answers RFC 7662', async () => {
    const token = await userToken()
    const response = await form(
      '/oauth/introspect',
      `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
      env.introspector,
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toMatchObject({
      active: true,
      sub: 'u1',
      aud: 'pkg-9',
      iss: ISSUER,
      token_type: 'Bearer',
    })
    for (const bad of ['garbage', 'cs_ut_unknown', token.slice(0, -2)]) {
      const inactive = await form(
        '/oauth/introspect',
        `token=${encodeURIComponent(bad)}`,
        env.introspector,
      )
      expect(await inactive.json()).toEqual({ active: false })
    }
    const param = await generate()
    const paramIntrospection = await form('/oauth/introspect', `token=${param}`, env.introspector)
    expect(await paramIntrospection.json()).toMatchObject({
      active: true,
      token_type: 'parameter_token',
    })
  })

  it('POST /oauth/revoke answers 200 for everything and revokes the caller’s own tokens', async () => {
    const response = await post(
      '/v1/user-tokens',
      { user: { id: 'u3' }, audience: 'a' },
      {
        'x-api-key': (
          await env.apiKeys.createApiKey({
            name: 'both',
            scopes: ['user-tokens:issue', 'tokens:revoke'],
          })
        ).key,
      },
    )
    const { access_token: token } = (await response.json()) as { access_token: string }
    const both = (await env.apiKeys.list()).find((k) => k.name === 'both')
    expect(both).toBeDefined()
    for (const value of ['unknown', 'cs_pt_x', 'a.b.c']) {
      expect((await form('/oauth/revoke', `token=${value}`, env.revoker)).status).toBe(200)
    }
    // Not the caller's token: a no-op.
    await form('/oauth/revoke', `token=${token}`, env.revoker)
    expect(
      (await fetch(`${env.url}/v1/users/me`, { headers: { accessToken: token } })).status,
    ).toBe(200)
  })

  it('authenticates OAuth callers and refuses bad forms with problem details', async () => {
    const token = await userToken()
    const cases: Array<[Promise<Response>, number, string, string?]> = [
      [
        form('/oauth/introspect', `token=${token}`, 'cs_ak_bad'),
        401,
        'api_key_invalid',
        'invalid_client',
      ],
      [
        form('/oauth/introspect', `token=${token}`, env.generator),
        403,
        'forbidden',
        'unauthorized_client',
      ],
      [form('/oauth/introspect', '', env.introspector), 400, 'malformed', 'invalid_request'],
      [
        form('/oauth/introspect', 'token=a&token=b', env.introspector),
        400,
        'malformed',
        'invalid_request',
      ],
      [
        form('/oauth/introspect', 'token=%ZZ', env.introspector),
        400,
        'malformed',
        'invalid_request',
      ],
      [
        form('/oauth/introspect', 'token=a b', env.introspector),
        400,
        'malformed',
        'invalid_request',
      ],
      [
        fetch(`${env.url}/oauth/introspect`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': env.introspector },
          body: '{"token":"x"}',
        }),
        415,
        'unsupported_media_type',
        'invalid_request',
      ],
      [
        fetch(`${env.url}/oauth/introspect`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: 'Basic abc',
          },
          body: 'token=x',
        }),
        401,
        'api_key_invalid',
        'invalid_client',
      ],
    ]
    for (const [pending, status, code, oauth] of cases) {
      const response = await pending
      expect(response.status, code).toBe(status)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      const body = (await response.json()) as Record<string, unknown>
      expect(body).toMatchObject({ status, code, type: `https://countersign.dev/errors/${code}` })
      if (oauth !== undefined) {
        expect(body.error).toBe(oauth)
      }
      if (status === 401) {
        expect(response.headers.get('www-authenticate')).toBe('Bearer')
      }
    }
  })

  it('refuses bad user-token requests with 400', async () => {
    const bodies: unknown[] = [
      {},
      { user: { id: 'x' } },
      { user: 'x', audience: 'a' },
      { user: { id: 'x' }, audience: 'a', ttl: -5 },
      { user: { id: 'x' }, audience: 'a', ttl: 'forever' },
      { user: { id: 'x' }, audience: 'a', ttl: 10 ** 9 },
      { user: { id: 'x' }, audience: 'a', format: 'xml' },
      { user: { id: 'x', sub: 'root' }, audience: 'a' },
      { user: { id: 'x' }, audience: 'a', scope: 7 },
    ]
    for (const body of bodies) {
      const response = await post('/v1/user-tokens', body, { 'x-api-key': env.issuer })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(((await response.json()) as { code: string }).code).toBe('malformed')
    }
  })
})

describe('admin routes', () => {
  it('creates, lists, gets, disables, enables, rerolls and deletes keys', async () => {
    const auth = { authorization: `Bearer ${env.admin}` }
    const created = await post(
      '/admin/api-keys',
      {
        name: 'partner',
        scopes: ['tokens:generate'],
        meta: { tier: 'gold' },
        rateLimit: { limit: 100, windowMs: 1000 },
      },
      auth,
    )
    expect(created.status).toBe(201)
    const { id, key } = (await created.json()) as { id: string; key: string }
    expect((await post('/generate', { a: 1 }, { 'x-api-key': key })).status).toBe(200)

    const list = await fetch(`${env.url}/admin/api-keys`, { headers: auth })
    const listed = (await list.json()) as { keys: Array<{ id: string }> }
    expect(listed.keys.some((k) => k.id === id)).toBe(true)
    expect(JSON.stringify(listed)).not.toContain('cs_ak_')

    const one = await fetch(`${env.url}/admin/api-keys/${id}`, { headers: auth })
    expect(await one.json()).toMatchObject({
      id,
      name: 'partner',
      disabled: false,
      meta: { tier: 'gold' },
    })

    const disabled = await fetch(`${env.url}/admin/api-keys/${id}/disable`, {
      method: 'POST',
      headers: auth,
    })
    expect(await disabled.json()).toEqual({ id, disabled: true })
    const refused = await post('/generate', { a: 1 }, { 'x-api-key': key })
    expect(await refused.json()).toEqual({ message: 'API key disabled' })
    await fetch(`${env.url}/admin/api-keys/${id}/enable`, { method: 'POST', headers: auth })

    const reroll = await post(`/admin/api-keys/${id}/reroll`, { gracePeriodMs: 60_000 }, auth)
    const { key: newKey } = (await reroll.json()) as { key: string }
    expect((await post('/generate', { a: 1 }, { 'x-api-key': key })).status).toBe(200)
    expect((await post('/generate', { a: 1 }, { 'x-api-key': newKey })).status).toBe(200)

    const deleted = await fetch(`${env.url}/admin/api-keys/${id}`, {
      method: 'DELETE',
      headers: auth,
    })
    expect(deleted.status).toBe(204)
    expect((await post('/generate', { a: 1 }, { 'x-api-key': newKey })).status).toBe(403)
    const gone = await fetch(`${env.url}/admin/api-keys/${id}`, { headers: auth })
    expect(gone.status).toBe(404)
  })

  it('requires the admin scope and valid ids', async () => {
    const notAdmin = await fetch(`${env.url}/admin/api-keys`, {
      headers: { authorization: `Bearer ${env.generator}` },
    })
    expect(notAdmin.status).toBe(403)
    const none = await fetch(`${env.url}/admin/api-keys`)
    expect(none.status).toBe(401)
    const auth = { authorization: `Bearer ${env.admin}` }
    expect((await fetch(`${env.url}/admin/api-keys/..%2F..%2Fetc`, { headers: auth })).status).toBe(
      404,
    )
    expect(
      (await fetch(`${env.url}/admin/api-keys/ak_AAAAAAAAAAAAAAAAAAAAAA`, { headers: auth }))
        .status,
    ).toBe(404)
    const bad = await post('/admin/api-keys', { name: '', scopes: 'x' }, auth)
    expect(bad.status).toBe(400)
    const conflicting = await fetch(`${env.url}/admin/api-keys`, {
      headers: { authorization: `Bearer ${env.admin}`, 'x-api-key': env.generator },
    })
    expect(conflicting.status).toBe(400)
  })
})

describe('hostile input', () => {
  it('never answers 500 to garbage', async () => {
    const keyHeaders = { 'x-api-key': env.generator, authorization: `Bearer ${env.issuer}` }
    const attempts: Array<Promise<Response>> = [
      post('/generate', '{"__proto__":{"polluted":1}}', { 'x-api-key': env.generator }),
      post('/generate', '{"constructor":{"prototype":{}}}', { 'x-api-key': env.generator }),
      post('/generate', '{"a":1,"a":2}', { 'x-api-key': env.generator }),
      post('/generate', `${'['.repeat(10)}${']'.repeat(10)}`, { 'x-api-key': env.generator }),
      post('/generate', `{"a":${'['.repeat(3000)}`, { 'x-api-key': env.generator }),
      post('/generate', '\u0000\u0001', { 'x-api-key': env.generator }),
      fetch(`${env.url}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': env.generator },
        body: new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]),
      }),
      post('/v1/user-tokens', '{"user":{"id":"x","a":{"__proto__":1}},"audience":"a"}', {
        authorization: `Bearer ${env.issuer}`,
      }),
      post('/v1/user-tokens', 'null', keyHeaders),
      fetch(`${env.url}/verify`, { headers: { 'x-api-token': 'x'.repeat(7000) } }),
      fetch(`${env.url}/v1/users/me`, {
        headers: { accessToken: `${'a'.repeat(3000)}.${'b'.repeat(3000)}.c` },
      }),
      fetch(`${env.url}/v1/users/me`, { headers: { accessToken: 'eyJhbGciOiJub25lIn0.e30.' } }),
      fetch(`${env.url}/nope`),
      fetch(`${env.url}/generate`),
      fetch(`${env.url}/verify`, { method: 'DELETE' }),
      fetch(`${env.url}/%00`),
      fetch(`${env.url}/.well-known/jwks.json/..`),
      fetch(`${env.url}/admin/api-keys/ak_x/disable`, { method: 'POST' }),
    ]
    for (const pending of attempts) {
      const response = await pending
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('405 carries Allow; unknown routes are problem+json 404', async () => {
    const response = await fetch(`${env.url}/generate`)
    expect(response.status).toBe(403) // Kudo route: errors are 403 with a message
    const jwks = await fetch(`${env.url}/.well-known/jwks.json`, { method: 'POST' })
    expect(jwks.status).toBe(405)
    expect(jwks.headers.get('allow')).toBe('GET')
    const missing = await fetch(`${env.url}/missing`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('content-type')).toBe('application/problem+json')
  })

  it('caps bodies: 413 by Content-Length and by streamed size', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(5000) })
    const byLength = await post('/v1/user-tokens', big, { 'x-api-key': env.issuer })
    expect(byLength.status).toBe(413)
    expect(((await byLength.json()) as { code: string }).code).toBe('body_too_large')
    // Above the adapter's cap (8 KiB): refused before the handler.
    const huge = await post('/v1/user-tokens', 'x'.repeat(50_000), { 'x-api-key': env.issuer })
    expect(huge.status).toBe(413)
    // Chunked, without Content-Length.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) {
          controller.enqueue(new TextEncoder().encode('x'.repeat(1000)))
        }
        controller.close()
      },
    })
    const chunked = await fetch(`${env.url}/v1/user-tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': env.issuer },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)
  })

  it('refuses duplicate Host, Content-Type and Authorization headers (raw HTTP)', async () => {
    const body = '{"a":1}'
    const base = (extra: string) =>
      `POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-api-key: ${env.generator}\r\n${extra}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`
    expect(await raw(base(''))).toMatch(/^HTTP\/1\.1 200/)
    expect(await raw(base('Content-Type: text/plain\r\n'))).toMatch(/^HTTP\/1\.1 400/)
    expect(await raw(base('Host: evil.example\r\n'))).toMatch(/^HTTP\/1\.1 400/)
    expect(
      await raw(base(`Authorization: Bearer ${env.admin}\r\nAuthorization: Bearer x\r\n`)),
    ).toMatch(/^HTTP\/1\.1 400/)
    expect(await raw(base(`x-api-key: ${env.generator}\r\n`))).toMatch(/^HTTP\/1\.1 400/)
    const dup = await raw(base('Content-Type: text/plain\r\n'))
    expect(dup).toContain('duplicate_header')
  })

  it('refuses absolute-form targets and garbage request lines', async () => {
    const absolute = await raw(
      'GET http://127.0.0.1:6379/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    )
    expect(absolute).toMatch(/^HTTP\/1\.1 400/)
    const garbage = await raw('\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n')
    expect(garbage).toMatch(/^HTTP\/1\.1 400/)
    const badHost = await raw('GET /verify HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n')
    expect(badHost).toMatch(/^HTTP\/1\.1 400/)
  })

  it('answers Expect: 100-continue with 413 for oversized bodies', async () => {
    const response = await raw(
      `POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 999999\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    )
    expect(response).toMatch(/^HTTP\/1\.1 413/)
    expect(response).not.toContain('100 Continue')
  })

  it('logs ids and codes, never tokens or keys', async () => {
    const token = await generate({ secret: 'do-not-log-me' })
    await fetch(`${env.url}/verify`, { headers: { 'x-api-token': token } })
    await fetch(`${env.url}/verify`, { headers: { 'x-api-token': `${token}x` } })
    const dump = JSON.stringify(env.logs)
    for (const secret of [
      token,
      env.generator,
      env.admin,
      env.issuer,
      'do-not-log-me',
      'cs_ak_',
      'cs_pt_',
      'cs_ut_',
    ]) {
      expect(dump).not.toContain(secret)
    }
    expect(env.logs.some((e) => e.route === 'POST /generate' && e.keyId?.startsWith('ak_'))).toBe(
      true,
    )
    expect(env.logs.some((e) => e.route === 'GET /verify' && e.code === 'token_invalid')).toBe(true)
  })
})

describe('store outage', () => {
  it('answers 503 store_unavailable, then recovers', async () => {
    const store = createMemoryStore()
    const local = await setup(store)
    try {
      const paramToken = await (async () => {
        const r = await fetch(`${local.url}/generate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': local.generator },
          body: '{"a":1}',
        })
        return ((await r.json()) as { token: string }).token
      })()
      const failing = vi.spyOn(store, 'get').mockRejectedValue(new Error('connection refused'))
      const verify = await fetch(`${local.url}/verify`, { headers: { 'x-api-token': paramToken } })
      expect(verify.status).toBe(503)
      expect(verify.headers.get('countersign-error')).toBe('store_unavailable')
      const introspect = await fetch(`${local.url}/oauth/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-api-key': local.introspector,
        },
        body: 'token=x',
      })
      expect(introspect.status).toBe(503)
      expect(((await introspect.json()) as { code: string }).code).toBe('store_unavailable')
      const jwks = await fetch(`${local.url}/.well-known/jwks.json`)
      expect([200, 503]).toContain(jwks.status)
      failing.mockRestore()
      const again = await fetch(`${local.url}/verify`, { headers: { 'x-api-token': paramToken } })
      expect(again.status).toBe(200)
    } finally {
      await local.server.close()
    }
  })
})

describe('createTokenService options', () => {
  it('needs a store and a master key for default components', () => {
    expect(() => createTokenService({} as never)).toThrow(TypeError)
    expect(() => createTokenService({ store: createMemoryStore(), issuer: ISSUER })).toThrow(
      /masterKey/,
    )
  })

  it('accepts ready-made components without a master key', async () => {
    const store = createMemoryStore()
    const handler = createTokenService({
      store,
      issuer: ISSUER,
      apiKeys: createApiKeys({ store }),
      parameterTokens: createParameterTokens({ store }),
      userTokens: createUserTokens({ issuer: ISSUER, keys: createSigningKeys(), store }),
    })
    const response = await handler(new Request('http://x/.well-known/jwks.json'))
    expect(response.status).toBe(200)
    const notRequest = await handler('nope' as unknown as Request)
    expect(notRequest.status).toBe(500)
  })
})
