/**
 * The console's security over real HTTP on loopback (token service + console, SQLite files):
 * session cookie attributes, CSRF and same-origin checks on every state change, the CSP on every
 * answer, session expiry, and no secret in any page or API answer after it was shown once.
 */
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Stack, signIn, startStack } from './stack.ts'

let stack: Stack
beforeAll(async () => {
  stack = await startStack({ sessionTtlMs: 600_000 })
})
afterAll(async () => {
  await stack.close()
})

type Auth = { cookie: string; csrf: string }

function call(
  method: string,
  path: string,
  auth: Partial<Auth>,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${stack.url}/api/${path}`, {
    method,
    headers: {
      ...(auth.cookie ? { cookie: auth.cookie } : {}),
      ...(auth.csrf ? { 'x-csrf-token': auth.csrf } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
}

async function code(response: Response): Promise<string> {
  expect(response.headers.get('content-type')).toBe('application/problem+json')
  return ((await response.json()) as { code: string }).code
}

describe('sessions', () => {
  it('sets an HttpOnly, SameSite=Strict cookie scoped to /console, Secure outside localhost', async () => {
    const { setCookie } = await signIn(stack)
    expect(setCookie).toMatch(/^cs_console_session=[A-Za-z0-9_-]{43}; /)
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Strict')
    expect(setCookie).toContain('Path=/console;')
    expect(setCookie).not.toContain('Secure') // 127.0.0.1 over plain HTTP
    // Through a non-loopback host name the cookie is Secure.
    // (fetch cannot set Host, so node:http sends it.)
    const remote = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      const body = JSON.stringify({ key: stack.adminKey })
      const req = request(
        `${stack.url}/api/session`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            host: 'console.example',
            'content-length': body.length,
          },
        },
        (res) => {
          res.resume()
          resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '') })
        },
      )
      req.on('error', reject)
      req.end(body)
    })
    expect(remote.status).toBe(200)
    expect(remote.cookie).toMatch(/; Secure$/)
  })

  it('refuses keys without the admin scope, and garbage, without echoing them', async () => {
    const plain = await stack.createKey(['tokens:generate'])
    for (const key of [plain.key, 'cs_ak_nonsense', 'x'.repeat(400)]) {
      const response = await call('POST', 'session', {}, { key }, { origin: stack.origin })
      expect(response.status).toBe(401)
      const text = await response.text()
      expect(text).toContain('sign_in_failed')
      expect(text).not.toContain(key)
    }
  })

  it('refuses every API route without a session, and with a forged or doubled cookie', async () => {
    const real = await signIn(stack)
    const forged = { cookie: `cs_console_session=${'A'.repeat(43)}`, csrf: real.csrf }
    const doubled = { cookie: `${real.cookie}; ${real.cookie}`, csrf: real.csrf }
    for (const auth of [{}, forged, doubled]) {
      for (const [method, path, body] of [
        ['GET', 'keys'],
        ['GET', 'audit'],
        ['GET', 'signing-keys'],
        ['POST', 'keys', { name: 'x' }],
        ['POST', 'tokens/revoke', { token: 'cs_pt_x' }],
        ['POST', 'signing-keys/rotate', {}],
        ['DELETE', `keys/${stack.adminId}`],
        ['DELETE', 'session'],
      ] as const) {
        const response = await call(method, path, auth, body)
        expect(response.status, `${method} ${path}`).toBe(401)
        expect(await code(response)).toBe('session_missing')
      }
    }
  })

  it('ends a session at its expiry and when its admin key is disabled', async () => {
    const auth = await signIn(stack)
    expect((await call('GET', 'keys', auth)).status).toBe(200)
    stack.advance(600_001)
    expect((await call('GET', 'keys', auth)).status).toBe(401)

    const second = await stack.createKey(['admin'])
    const other = await signIn(stack, second.key)
    const mine = await signIn(stack)
    expect((await call('POST', `keys/${second.id}/disable`, mine, {})).status).toBe(200)
    const refused = await call('GET', 'keys', other)
    expect(await code(refused)).toBe('session_missing')
  })

  it('ends the session on sign-out', async () => {
    const auth = await signIn(stack)
    const out = await call('DELETE', 'session', auth)
    expect(out.status).toBe(200)
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0')
    expect((await call('GET', 'session', auth)).status).toBe(401)
  })
})

describe('CSRF', () => {
  const changes = (id: string): Array<[string, string, unknown]> => [
    ['POST', 'keys', { name: 'csrf probe' }],
    ['POST', `keys/${id}/disable`, {}],
    ['POST', `keys/${id}/reroll`, { gracePeriodMs: 0 }],
    ['DELETE', `keys/${id}`, undefined],
    ['POST', 'tokens/revoke', { token: 'cs_pt_x' }],
    ['POST', 'signing-keys/rotate', {}],
    ['DELETE', 'session', undefined],
  ]

  it('refuses every state change without the CSRF token, or with a wrong one', async () => {
    const auth = await signIn(stack)
    const target = await stack.createKey(['tokens:generate'])
    const jwks = await (await fetch(`${stack.origin}/.well-known/jwks.json`)).text()
    const wrong = `${auth.csrf.slice(0, -1)}${auth.csrf.endsWith('A') ? 'B' : 'A'}`
    for (const csrf of [undefined, '', wrong, 'short', auth.csrf.toUpperCase()]) {
      for (const [method, path, body] of changes(target.id)) {
        const response = await call(
          method,
          path,
          { cookie: auth.cookie, ...(csrf === undefined ? {} : { csrf }) },
          body,
        )
        expect(response.status, `${method} ${path} csrf=${csrf}`).toBe(403)
        expect(await code(response)).toBe('csrf_invalid')
      }
    }
    // Nothing happened: the key is still active and the session still works.
    const keys = (await (await call('GET', `keys?q=${target.id}`, auth)).json()) as {
      keys: Array<{ state: string }>
    }
    expect(keys.keys).toEqual([expect.objectContaining({ state: 'active' })])
    expect(await (await fetch(`${stack.origin}/.well-known/jwks.json`)).text()).toBe(jwks)
  })

  it('refuses cross-site state changes even with the right token, sign-in included', async () => {
    const auth = await signIn(stack)
    const target = await stack.createKey(['tokens:generate'])
    const sites: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ]
    for (const headers of sites) {
      for (const [method, path, body] of changes(target.id)) {
        const response = await call(method, path, auth, body, headers)
        expect(response.status).toBe(403)
        expect(await code(response)).toBe('cross_site_request')
      }
      const login = await call('POST', 'session', {}, { key: stack.adminKey }, headers)
      expect(await code(login)).toBe('cross_site_request')
      expect(login.headers.get('set-cookie')).toBeNull()
    }
  })
})

describe('headers and pages', () => {
  it('sends a strict CSP with no inline script on every console answer', async () => {
    const auth = await signIn(stack)
    const urls = ['/', '/app.js', '/app.css', '/nope', '/api/keys', '/api/nope', '/api/session']
    for (const path of urls) {
      const response = await fetch(`${stack.url}${path}`, { headers: { cookie: auth.cookie } })
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp, path).toContain("default-src 'none'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).toContain("frame-ancestors 'none'")
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('cache-control')).toBe('no-store')
    }
    const html = await (await fetch(`${stack.url}/`)).text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/) // every script is external
    expect(html).not.toMatch(/\son[a-z]+=/i) // no inline handlers
    expect(html).not.toMatch(/<style/)
  })

  it('never shows a key or secret again after creation', async () => {
    const auth = await signIn(stack)
    const created = (await (
      await call('POST', 'keys', auth, {
        name: 'once',
        scopes: ['tokens:generate'],
        withSecret: true,
      })
    ).json()) as { id: string; key: string; secret: string }
    expect(created.key).toMatch(/^cs_ak_/)
    expect(created.secret).toMatch(/^cs_as_/)
    const rerolled = (await (
      await call('POST', `keys/${created.id}/reroll`, auth, { gracePeriodMs: 60_000 })
    ).json()) as { key: string }
    const bodies = await Promise.all(
      [
        '/',
        '/app.js',
        '/api/keys',
        `/api/keys?q=${created.id}`,
        '/api/audit',
        '/api/audit/export?format=csv',
        '/api/audit/export?format=json',
        '/api/session',
      ].map(async (path) =>
        (await fetch(`${stack.url}${path}`, { headers: { cookie: auth.cookie } })).text(),
      ),
    )
    for (const secret of [created.key, created.secret, rerolled.key, stack.adminKey]) {
      for (const body of bodies) {
        expect(body).not.toContain(secret)
      }
      expect(readFileSync(stack.auditPath).includes(secret)).toBe(false)
    }
  })

  it('looks up and revokes a token from the body, never storing it in the audit log', async () => {
    const auth = await signIn(stack)
    const token = await stack.issueUserToken()
    const before = (await (await call('POST', 'tokens/lookup', auth, { token })).json()) as Record<
      string,
      unknown
    >
    expect(before).toMatchObject({ kind: 'user', state: 'active', user: 'u_ada' })
    expect((await call('POST', 'tokens/revoke', auth, { token })).status).toBe(200)
    const after = (await (await call('POST', 'tokens/lookup', auth, { token })).json()) as Record<
      string,
      unknown
    >
    expect(after).toEqual({ kind: 'user', state: 'inactive' })
    const again = await call('POST', 'tokens/revoke', auth, { token })
    expect(await code(again)).toBe('token_not_active')
    const log = await (await call('GET', 'audit/export?format=json', auth)).text()
    expect(log).toContain('user_token.revoke')
    expect(log).not.toContain(token)
    expect(readFileSync(stack.auditPath).includes(token)).toBe(false)
  })
})

describe('bad input', () => {
  it('answers every malformed request with a 4xx problem and a stable code, never a 500', async () => {
    const auth = await signIn(stack)
    const cases: Array<[string, string, string | undefined, Record<string, string>, string]> = [
      ['POST', 'keys', '{"name":"a","name":"b"}', {}, 'invalid_json'],
      ['POST', 'keys', '{"__proto__":{"x":1},"name":"a"}', {}, 'invalid_json'],
      ['POST', 'keys', '{"name":', {}, 'invalid_json'],
      ['POST', 'keys', '[1]', {}, 'malformed'],
      ['POST', 'keys', '{"name":"a","admin":true}', {}, 'malformed'],
      ['POST', 'keys', '{"name":""}', {}, 'malformed'],
      ['POST', 'keys', '{"name":"a","scopes":"admin"}', {}, 'invalid_input'],
      ['POST', 'keys', '{"name":"a","scopes":[1]}', {}, 'invalid_input'],
      ['POST', 'keys', '{"name":"a","rateLimit":{"limit":-1,"windowMs":1}}', {}, 'invalid_input'],
      ['POST', 'keys', '{"name":"a","expiresAt":"yesterday"}', {}, 'invalid_input'],
      ['POST', 'keys', '{"name":"a","meta":[1]}', {}, 'invalid_input'],
      ['POST', 'keys', `{"name":"${'x'.repeat(20_000)}"}`, {}, 'body_too_large'],
      ['POST', 'keys', '{"name":"a"}', { 'content-type': 'text/plain' }, 'unsupported_media_type'],
      ['POST', 'keys/ak_short/disable', '{}', {}, 'malformed'],
      ['POST', 'keys/ak_AAAAAAAAAAAAAAAAAAAAAA/disable', '{}', {}, 'api_key_not_found'],
      [
        'POST',
        'keys/ak_AAAAAAAAAAAAAAAAAAAAAA/reroll',
        '{"gracePeriodMs":"1"}',
        {},
        'invalid_input',
      ],
      [
        'POST',
        `keys/${stack.adminId}/reroll`,
        '{"gracePeriodMs":999999999999}',
        {},
        'invalid_input',
      ],
      ['DELETE', `keys/${stack.adminId}`, undefined, {}, 'api_key_in_use'],
      ['POST', 'tokens/lookup', '{"token":7}', {}, 'malformed'],
      ['GET', 'audit?from=soon', undefined, {}, 'malformed'],
      ['GET', 'audit?status=2e3', undefined, {}, 'malformed'],
      ['GET', 'audit?type=__proto__', undefined, {}, 'malformed'],
      ['GET', 'audit/export?format=xml', undefined, {}, 'malformed'],
      ['PUT', 'keys', '{}', {}, 'method_not_allowed'],
      ['GET', 'constructor', undefined, {}, 'not_found'],
    ]
    for (const [method, path, body, headers, want] of cases) {
      const response = await fetch(`${stack.url}/api/${path}`, {
        method,
        headers: {
          cookie: auth.cookie,
          'x-csrf-token': auth.csrf,
          'content-type': 'application/json',
          ...headers,
        },
        ...(body === undefined ? {} : { body }),
      })
      expect(response.status, `${method} ${path} ${body?.slice(0, 60)}`).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
      expect(await code(response), `${method} ${path}`).toBe(want)
    }
  })

  it('defuses spreadsheet formulas in the CSV export', async () => {
    const auth = await signIn(stack)
    const csv = await (await call('GET', 'audit/export?format=csv', auth)).text()
    const lines = csv.trim().split('\r\n')
    expect(lines[0]).toBe('id,time,type,action,actor,user,keyId,target,status,code')
    expect(lines.length).toBeGreaterThan(1)
    for (const line of lines.slice(1)) {
      expect(line).toMatch(/^"\d+","\d{4}-/)
      expect(line).not.toMatch(/(^|,)"[=+\-@]/)
    }
  })
})
