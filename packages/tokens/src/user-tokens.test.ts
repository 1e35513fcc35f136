import {
  createKeyRing,
  createMemoryStore,
  fromBase64Url,
  generateKeyPair,
  importKey,
  type Key,
  toBase64Url,
  webBackend,
} from '@countersign/core'
import fc from 'fast-check'
import * as jose from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { createSigningKeys } from './signing-keys.ts'
import { createUserTokens } from './user-tokens.ts'
import { verifyUserToken } from './verify-user-token.ts'

const ISSUER = 'https://tokens.example'
const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> => {
  try {
    await promise
    return undefined
  } catch (error) {
    return (error as { code?: string }).code
  }
}
const user = {
  id: 'u-123',
  name: 'Ada',
  phoneNumber: '+15555550100',
  pictureUrl: 'https://x/p.png',
  team: 'blue',
}

function setup(options: { algorithm?: 'ed25519' | 'ecdsa-p256-sha256'; start?: number } = {}) {
  let now = options.start ?? 1_700_000_000_000
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
  const store = createMemoryStore({ now: clock.now })
  const keys = createSigningKeys({ algorithm: options.algorithm ?? 'ed25519', now: clock.now })
  const tokens = createUserTokens({ issuer: ISSUER, keys, store, now: clock.now })
  return { clock, store, keys, tokens }
}

function decodePart(token: string, index: number): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(fromBase64Url(token.split('.')[index] as string)))
}

function forge(
  token: string,
  edit: { header?: object; payload?: object; signature?: string },
): string {
  const [h, p, s] = token.split('.') as [string, string, string]
  const enc = (value: object) => toBase64Url(new TextEncoder().encode(JSON.stringify(value)))
  return [
    edit.header === undefined ? h : enc(edit.header),
    edit.payload === undefined ? p : enc(edit.payload),
    edit.signature ?? s,
  ].join('.')
}

describe('user tokens (JWT)', () => {
  it('issues an RFC 9068 access-token JWT', async () => {
    const { tokens, keys } = setup()
    const issued = await tokens.issueUserToken({ user, audience: 'pkg-1' })
    expect(issued.format).toBe('jwt')
    expect(issued.tokenType).toBe('Bearer')
    const header = decodePart(issued.token, 0)
    expect(header).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: (await keys.current()).keyId })
    const payload = decodePart(issued.token, 1)
    expect(payload).toMatchObject({
      iss: ISSUER,
      sub: 'u-123',
      aud: 'pkg-1',
      client_id: 'pkg-1',
      name: 'Ada',
      phone_number: '+15555550100',
      picture: 'https://x/p.png',
      team: 'blue',
      jti: issued.jti,
    })
    expect((payload.exp as number) - (payload.iat as number)).toBe(30 * 60)
    expect(issued.expiresAt.getTime()).toBe((payload.exp as number) * 1000)
  })

  it('verifies its own tokens and maps claims back to the user', async () => {
    const { tokens } = setup()
    const { token } = await tokens.issueUserToken({
      user,
      audience: 'pkg-1',
      scope: ['read', 'write'],
    })
    const verified = await tokens.verifyUserToken(token, { audience: 'pkg-1' })
    expect(verified.user).toEqual(user)
    expect(verified.audience).toEqual(['pkg-1'])
    expect(verified.scope).toBe('read write')
    expect(verified.format).toBe('jwt')
    expect(await codeOf(tokens.verifyUserToken(token, { audience: 'pkg-2' }))).toBe('token_invalid')
  })

  it('supports ES256', async () => {
    const { tokens, keys } = setup({ algorithm: 'ecdsa-p256-sha256', start: Date.now() })
    const { token } = await tokens.issueUserToken({ user, audience: 'a' })
    expect(decodePart(token, 0).alg).toBe('ES256')
    const jwks = await keys.jwks()
    expect((await verifyUserToken(token, { issuer: ISSUER, audience: 'a', jwks })).user.id).toBe(
      'u-123',
    )
    // jose verifies it too (raw r||s signature encoding).
    const { payload } = await jose.jwtVerify(
      token,
      jose.createLocalJWKSet(jwks as jose.JSONWebKeySet),
      {
        issuer: ISSUER,
        audience: 'a',
        typ: 'at+jwt',
      },
    )
    expect(payload.sub).toBe('u-123')
  })

  it('interop: Countersign-issued tokens verify with jose', async () => {
    const { tokens, keys } = setup({ start: Date.now() })
    const { token } = await tokens.issueUserToken({ user, audience: 'pkg-1' })
    const jwks = jose.createLocalJWKSet((await keys.jwks()) as jose.JSONWebKeySet)
    const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: 'pkg-1',
      typ: 'at+jwt',
      algorithms: ['EdDSA'],
    })
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(payload.sub).toBe('u-123')
  })

  it('interop: jose-issued tokens verify with verifyUserToken', async () => {
    for (const alg of ['EdDSA', 'Ed25519', 'ES256'] as const) {
      const { publicKey, privateKey } = await jose.generateKeyPair(
        alg === 'ES256' ? 'ES256' : 'Ed25519',
        {
          extractable: true,
        },
      )
      const jwk = {
        ...(await jose.exportJWK(publicKey)),
        kid: `k-${alg}`,
        alg: alg === 'Ed25519' ? 'EdDSA' : alg,
      }
      const token = await new jose.SignJWT({ client_id: 'c1', name: 'Grace' })
        .setProtectedHeader({ alg, typ: 'at+jwt', kid: `k-${alg}` })
        .setIssuer(ISSUER)
        .setSubject('u-9')
        .setAudience('api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('jti-1')
        .sign(privateKey)
      const verified = await verifyUserToken(token, {
        issuer: ISSUER,
        audience: 'api',
        jwks: { keys: [jwk] },
      })
      expect(verified.user).toEqual({ id: 'u-9', name: 'Grace' })
      expect(verified.clientId).toBe('c1')
    }
  })

  it('refuses tokens jose issues without the access-token profile', async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('Ed25519', { extractable: true })
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k1' }
    const base = () =>
      new jose.SignJWT({ client_id: 'c1' })
        .setIssuer(ISSUER)
        .setSubject('u')
        .setAudience('api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('j1')
    const options = { issuer: ISSUER, audience: 'api', jwks: { keys: [jwk] } }
    const noTyp = await base().setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).sign(privateKey)
    expect(await codeOf(verifyUserToken(noTyp, options))).toBe('token_invalid')
    const plainJwt = await base()
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' })
      .sign(privateKey)
    expect(await codeOf(verifyUserToken(plainJwt, options))).toBe('token_invalid')
    const appTyp = await base()
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'application/AT+JWT' })
      .sign(privateKey)
    expect((await verifyUserToken(appTyp, options)).user.id).toBe('u')
    const crit = await base()
      .setProtectedHeader({
        alg: 'EdDSA',
        kid: 'k1',
        typ: 'at+jwt',
        crit: ['exp'],
      } as jose.JWTHeaderParameters)
      .sign(privateKey)
      .catch(() => undefined)
    if (crit !== undefined) {
      expect(await codeOf(verifyUserToken(crit, options))).toBe('token_invalid')
    }
  })

  it('rejects algorithm confusion, tampering and garbage', async () => {
    const { tokens, keys } = setup()
    const { token } = await tokens.issueUserToken({ user, audience: 'a' })
    const header = decodePart(token, 0)
    const payload = decodePart(token, 1)
    const options = { issuer: ISSUER, audience: 'a', keys }
    const bad = [
      forge(token, { header: { ...header, alg: 'none' } }),
      forge(token, { header: { ...header, alg: 'none' }, signature: '' }),
      forge(token, { header: { ...header, alg: 'HS256' } }),
      forge(token, { header: { ...header, alg: 'ES256' } }),
      forge(token, { header: { ...header, kid: 'other' } }),
      forge(token, { header: { ...header, crit: ['x'], x: 1 } }),
      forge(token, { header: { ...header, jwk: { kty: 'OKP' } } }),
      forge(token, { payload: { ...payload, sub: 'admin' } }),
      forge(token, { signature: 'AAAA' }),
      `${token}.`,
      `${token}=`,
      token.replace('.', '..'),
      token.split('.').slice(0, 2).join('.'),
      `a${token}`,
      '',
      'a.b.c',
      '...',
      'x'.repeat(9000),
      `${token.split('.')[0]}.e30.${token.split('.')[2]}`,
    ]
    for (const value of bad) {
      const code = await codeOf(verifyUserToken(value, options))
      expect(['token_invalid', 'token_missing'], value.slice(0, 40)).toContain(code)
    }
    // An HS256 token "signed" with the public key as an HMAC secret must fail.
    const pub = (await keys.jwks()).keys[0] as JsonWebKey & { kid: string }
    const hmac = await new jose.SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: pub.kid })
      .sign(new TextEncoder().encode(JSON.stringify(pub)))
    expect(await codeOf(verifyUserToken(hmac, options))).toBe('token_invalid')
  })

  it('answers only token errors to random and mutated tokens', async () => {
    const { tokens, keys } = setup({ start: Date.now() })
    const { token } = await tokens.issueUserToken({ user, audience: 'a' })
    const options = { issuer: ISSUER, audience: 'a', keys }
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc
            .tuple(fc.nat(token.length - 1), fc.string({ minLength: 1, maxLength: 3 }))
            .map(([at, text]) => token.slice(0, at) + text + token.slice(at + 1)),
        ),
        async (candidate) => {
          const code = await codeOf(verifyUserToken(candidate, options))
          if (candidate !== token) {
            expect(['token_invalid', 'token_missing']).toContain(code)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('checks iss, aud, exp, nbf and iat with leeway', async () => {
    const { tokens, keys, clock } = setup()
    const { token } = await tokens.issueUserToken({ user, audience: 'a', ttl: '1m' })
    const options = { issuer: ISSUER, audience: 'a', keys, now: clock.now }
    expect(await codeOf(verifyUserToken(token, { ...options, issuer: 'https://evil' }))).toBe(
      'token_invalid',
    )
    expect(await codeOf(verifyUserToken(token, { ...options, audience: ['b', 'c'] }))).toBe(
      'token_invalid',
    )
    expect((await verifyUserToken(token, { ...options, audience: ['b', 'a'] })).user.id).toBe(
      'u-123',
    )
    clock.advance(60_000 + 29_000) // inside the 30 s leeway
    expect((await verifyUserToken(token, options)).user.id).toBe('u-123')
    clock.advance(2_000)
    expect(await codeOf(verifyUserToken(token, options))).toBe('token_expired')
    expect(
      await codeOf(
        verifyUserToken(token, { ...options, clockTolerance: 0, now: () => clock.now() - 31_000 }),
      ),
    ).toBe('token_expired')
    // Issued in the future beyond the leeway.
    expect(
      await codeOf(verifyUserToken(token, { ...options, now: () => 1_700_000_000_000 - 60_000 })),
    ).toBe('token_invalid')
  })

  it('revokes a JWT through the jti denylist until it expires', async () => {
    const { tokens, store, keys, clock } = setup()
    const { token, jti } = await tokens.issueUserToken({ user, audience: 'a' })
    expect(await tokens.revoke(token)).toBe(true)
    expect(await codeOf(tokens.verifyUserToken(token))).toBe('token_revoked')
    expect(
      await codeOf(
        verifyUserToken(token, {
          issuer: ISSUER,
          audience: 'a',
          keys,
          denylist: store,
          now: clock.now,
        }),
      ),
    ).toBe('token_revoked')
    // Without the denylist, an offline verifier still accepts it (documented).
    expect(
      (await verifyUserToken(token, { issuer: ISSUER, audience: 'a', keys, now: clock.now })).jti,
    ).toBe(jti)
    expect(await tokens.introspect(token)).toEqual({ active: false })
    expect(await tokens.revoke('not-a-token')).toBe(false)
    expect(await tokens.revoke(token)).toBe(true)
  })

  it('revoke with clientId only touches that client', async () => {
    const { tokens } = setup()
    const { token } = await tokens.issueUserToken({ user, audience: 'a', clientId: 'ak_1' })
    expect(await tokens.revoke(token, { clientId: 'ak_2' })).toBe(false)
    expect((await tokens.verifyUserToken(token)).clientId).toBe('ak_1')
    expect(await tokens.revoke(token, { clientId: 'ak_1' })).toBe(true)
  })

  it('introspects per RFC 7662', async () => {
    const { tokens, clock } = setup()
    const { token } = await tokens.issueUserToken({ user, audience: 'a', scope: 'read' })
    const result = await tokens.introspect(token)
    expect(result).toMatchObject({
      active: true,
      iss: ISSUER,
      sub: 'u-123',
      aud: 'a',
      client_id: 'a',
      scope: 'read',
      token_type: 'Bearer',
      name: 'Ada',
    })
    expect(await tokens.introspect('garbage')).toEqual({ active: false })
    expect(await tokens.introspect('')).toEqual({ active: false })
    clock.advance(31 * 60_000)
    expect(await tokens.introspect(token)).toEqual({ active: false })
  })

  it('refuses bad issue input', async () => {
    const { tokens } = setup()
    const bad: unknown[] = [
      { user: { id: '' }, audience: 'a' },
      { user: { id: 'x' }, audience: '' },
      { user: { id: 'x', iss: 'evil' }, audience: 'a' },
      { user: { id: 'x', exp: 1 }, audience: 'a' },
      { user: { id: 'x', name: 5 }, audience: 'a' },
      { user: { id: 'x' }, audience: 'a', ttl: '13h' },
      { user: { id: 'x' }, audience: 'a', format: 'paseto' },
      { user: { id: 'x' }, audience: 'a', scope: 'bad"scope' },
      { user: { id: 'x', blob: 'x'.repeat(5000) }, audience: 'a' },
      { user: JSON.parse('{"id":"x","__proto__":{"admin":true}}'), audience: 'a' },
      { user: 'x', audience: 'a' },
    ]
    for (const input of bad) {
      await expect(
        tokens.issueUserToken(input as Parameters<typeof tokens.issueUserToken>[0]),
      ).rejects.toThrow(/expected|reserved|at most/)
    }
  })

  it('refuses a maxTtl that outlives the key overlap', () => {
    const keys = createSigningKeys({ overlapMs: 3_600_000 })
    expect(() => createUserTokens({ issuer: ISSUER, keys, maxTtl: '2h' })).toThrow(RangeError)
  })

  it('works with a core key ring', async () => {
    const { privateKey } = await generateKeyPair('ed25519')
    const ring = createKeyRing([privateKey])
    const tokens = createUserTokens({ issuer: ISSUER, keys: ring })
    const { token } = await tokens.issueUserToken({ user: { id: 'x' }, audience: 'a' })
    expect(
      (await verifyUserToken(token, { issuer: ISSUER, audience: 'a', keys: ring })).user.id,
    ).toBe('x')
    expect(
      (await verifyUserToken(token, { issuer: ISSUER, audience: 'a', keys: [privateKey] })).user.id,
    ).toBe('x')
    const pub = await importKey(privateKey.publicJwk() as JsonWebKey)
    expect(
      (await verifyUserToken(token, { issuer: ISSUER, audience: 'a', keys: () => pub })).user.id,
    ).toBe('x')
    expect(
      await codeOf(verifyUserToken(token, { issuer: ISSUER, audience: 'a', jwks: { keys: [] } })),
    ).toBe('token_invalid')
  })

  it('signs and verifies with Web Crypto keys (no signSync/verifySync)', async () => {
    for (const algorithm of ['ed25519', 'ecdsa-p256-sha256'] as const) {
      const { privateKey } = await webBackend.generateKeyPair(algorithm)
      expect(privateKey.verifySync).toBeUndefined()
      const ring = createKeyRing([privateKey])
      const tokens = createUserTokens({ issuer: ISSUER, keys: ring })
      const { token } = await tokens.issueUserToken({ user: { id: 'w' }, audience: 'a' })
      const pub = await webBackend.importKey(privateKey.publicJwk() as JsonWebKey)
      expect(
        (await verifyUserToken(token, { issuer: ISSUER, audience: 'a', keys: [pub] })).user.id,
      ).toBe('w')
      expect(
        await codeOf(
          verifyUserToken(forge(token, { signature: toBase64Url(new Uint8Array(64)) }), {
            issuer: ISSUER,
            audience: 'a',
            keys: [pub],
          }),
        ),
      ).toBe('token_invalid')
      // Node-backend jose agrees with the Web-signed token.
      const { payload } = await jose.jwtVerify(
        token,
        jose.createLocalJWKSet(ring.jwks() as jose.JSONWebKeySet),
        {
          issuer: ISSUER,
          audience: 'a',
        },
      )
      expect(payload.sub).toBe('w')
    }
  })

  it('validates verify options', async () => {
    await expect(
      verifyUserToken('x', { issuer: '', audience: 'a', jwks: { keys: [] } }),
    ).rejects.toThrow(TypeError)
    await expect(
      verifyUserToken('x', { issuer: 'i', audience: [], jwks: { keys: [] } }),
    ).rejects.toThrow(TypeError)
    await expect(verifyUserToken('x', { issuer: 'i', audience: 'a' })).rejects.toThrow(TypeError)
    await expect(
      verifyUserToken('x', {
        issuer: 'i',
        audience: 'a',
        jwks: { keys: [] },
        offload: 'yes' as never,
      }),
    ).rejects.toThrow(/offload/)
  })

  it('checks the signature where offload says, with the same verdicts', async () => {
    const { tokens, keys } = setup({ start: Date.now() })
    const { token } = await tokens.issueUserToken({ user, audience: 'a' })
    const [h, p, sig] = token.split('.') as [string, string, string]
    const tampered = `${h}.${p}.${sig.slice(0, -2)}${sig.at(-2) === 'A' ? 'B' : 'A'}${sig.at(-1)}`
    const [publicKey] = await Promise.all(
      (await keys.jwks()).keys.map((jwk) => importKey(jwk as JsonWebKey)),
    )
    // A key that counts which of its checks ran.
    const calls = { sync: 0, async: 0 }
    const key: Key = {
      ...publicKey!,
      publicJwk: () => publicKey!.publicJwk(),
      sign: (d) => publicKey!.sign(d),
      verify: (d, s) => {
        calls.async++
        return publicKey!.verify(d, s)
      },
      verifySync: (d, s) => {
        calls.sync++
        return publicKey!.verifySync!(d, s)
      },
    }
    const base = { issuer: ISSUER, audience: 'a', keys: [key] }
    expect((await verifyUserToken(token, base)).user.id).toBe('u-123')
    expect(calls).toEqual({ sync: 1, async: 0 })
    expect((await verifyUserToken(token, { ...base, offload: true })).user.id).toBe('u-123')
    expect(await codeOf(verifyUserToken(tampered, { ...base, offload: true }))).toBe(
      'token_invalid',
    )
    expect(calls).toEqual({ sync: 1, async: 2 })
    const seen: [Key, string, number][] = []
    const offload = async (k: Key, data: Uint8Array, signature: Uint8Array) => {
      seen.push([k, new TextDecoder().decode(data), signature.length])
      return k.verifySync!(data, signature)
    }
    expect((await verifyUserToken(token, { ...base, offload })).user.id).toBe('u-123')
    expect(await codeOf(verifyUserToken(tampered, { ...base, offload }))).toBe('token_invalid')
    expect(seen).toEqual([
      [key, `${h}.${p}`, 64],
      [key, `${h}.${p}`, 64],
    ])
    // A function that says no, or fails, refuses the token.
    expect(await codeOf(verifyUserToken(token, { ...base, offload: async () => false }))).toBe(
      'token_invalid',
    )
    await expect(
      verifyUserToken(token, {
        ...base,
        offload: async () => {
          throw new Error('worker gone')
        },
      }),
    ).rejects.toThrow('worker gone')
  })
})

describe('user tokens (opaque)', () => {
  it('issues cs_ut tokens stored hashed, verifies and introspects them', async () => {
    const { tokens, store } = setup()
    const { token, format } = await tokens.issueUserToken({
      user,
      audience: 'pkg',
      format: 'opaque',
    })
    expect(format).toBe('opaque')
    expect(token).toMatch(/^cs_ut_[0-9A-Za-z]{49}$/)
    const dump = JSON.stringify(await store.list(''))
    expect(dump).not.toContain(token)
    expect(dump).not.toContain('+15555550100')
    const verified = await tokens.verifyUserToken(token, { audience: 'pkg' })
    expect(verified.user).toEqual(user)
    expect(verified.format).toBe('opaque')
    expect(await codeOf(tokens.verifyUserToken(token, { audience: 'other' }))).toBe('token_invalid')
    expect(await tokens.introspect(token)).toMatchObject({ active: true, sub: 'u-123', aud: 'pkg' })
  })

  it('revokes opaque tokens and expires them', async () => {
    const { tokens, clock } = setup()
    const { token } = await tokens.issueUserToken({
      user,
      audience: 'pkg',
      format: 'opaque',
      ttl: '1m',
    })
    const { token: second } = await tokens.issueUserToken({
      user,
      audience: 'pkg',
      format: 'opaque',
      ttl: '1m',
    })
    expect(await tokens.revoke(token)).toBe(true)
    expect(await codeOf(tokens.verifyUserToken(token))).toBe('token_revoked')
    expect(await tokens.introspect(token)).toEqual({ active: false })
    clock.advance(60_000)
    expect(await codeOf(tokens.verifyUserToken(second))).toBe('token_expired')
  })

  it('needs a store for opaque tokens and revocation', async () => {
    const tokens = createUserTokens({ issuer: ISSUER, keys: createSigningKeys() })
    await expect(tokens.issueUserToken({ user, audience: 'a', format: 'opaque' })).rejects.toThrow(
      /store/,
    )
    const { token } = await tokens.issueUserToken({ user, audience: 'a' })
    await expect(tokens.revoke(token)).rejects.toThrow(/store/)
  })

  it('fails closed when the store fails', async () => {
    const { tokens, store } = setup()
    const { token } = await tokens.issueUserToken({ user, audience: 'a' })
    vi.spyOn(store, 'get').mockRejectedValue(new Error('down'))
    expect(await codeOf(tokens.verifyUserToken(token))).toBe('store_unavailable')
    await expect(tokens.introspect(token)).rejects.toMatchObject({ code: 'store_unavailable' })
  })
})
