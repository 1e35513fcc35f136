import { generateKeyPairSync, sign as nodeSign } from 'node:crypto'
import { generateKeyPair, importKey, type Key, toBase64Url } from '@countersign/core'
import * as jose from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { verifyJwt } from './verify-jwt.ts'
import { verifyUserToken } from './verify-user-token.ts'

const ISSUER = 'https://tokens.test'
const AUDIENCE = 'app-1'
const now = Math.floor(Date.now() / 1000)
const enc = (value: unknown): string =>
  toBase64Url(new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)))

let privateKey: Key
let publicKey: Key

const goodHeader = () => ({ alg: 'EdDSA', kid: 'ed-1', typ: 'at+jwt' })
const goodClaims = () => ({
  iss: ISSUER,
  sub: 'user-1',
  aud: AUDIENCE,
  exp: now + 600,
  iat: now,
  jti: 'jti-1',
  client_id: 'ak_x',
})

/** A compact JWS over exactly these header and payload texts, signed with the Ed25519 key. */
async function jws(header: unknown, payload: unknown): Promise<string> {
  const input = `${enc(header)}.${enc(payload)}`
  return `${input}.${toBase64Url(await privateKey.sign(new TextEncoder().encode(input)))}`
}

beforeAll(async () => {
  const pair = await generateKeyPair('ed25519', { keyId: 'ed-1' })
  privateKey = pair.privateKey
  publicKey = pair.publicKey
})

/** Both verifiers' outcome for `token`: `ok`, or the error code. */
async function outcomes(token: string): Promise<[string, string]> {
  const settle = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (error: { code?: string }) => error.code ?? 'threw',
    )
  const common = { issuer: ISSUER, audience: AUDIENCE, keys: [publicKey] }
  return Promise.all([settle(verifyUserToken(token, common)), settle(verifyJwt(token, common))])
}

describe('one JWT path: verifyUserToken and verifyJwt make the same JWS and claim checks', () => {
  it('both accept a well-formed token', async () => {
    expect(await outcomes(await jws(goodHeader(), goodClaims()))).toEqual(['ok', 'ok'])
  })

  const headerCases: Array<[string, Record<string, unknown>]> = [
    ['alg none', { alg: 'none' }],
    ['alg HS256', { alg: 'HS256' }],
    ['alg of another key type', { alg: 'ES256' }],
    ['RS256 on an Ed25519 key', { alg: 'RS256' }],
    ['no kid', { kid: undefined }],
    ['unknown kid', { kid: 'other' }],
    ['crit', { crit: ['exp'], exp: 1 }],
    ['b64 false', { b64: false }],
    ['embedded jwk', { jwk: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43) } }],
    ['jku', { jku: 'https://evil.test/jwks' }],
    ['x5u', { x5u: 'https://evil.test/cert' }],
    ['a typ that is no session', { typ: 'logout+jwt' }],
    ['a non-string typ', { typ: 1 }],
  ]
  for (const [name, change] of headerCases) {
    it(`both refuse a header with ${name}`, async () => {
      const token = await jws({ ...goodHeader(), ...change }, goodClaims())
      expect(await outcomes(token)).toEqual(['token_invalid', 'token_invalid'])
    })
  }

  const claimCases: Array<[string, Record<string, unknown>, string]> = [
    ['expired beyond the leeway', { exp: now - 120 }, 'token_expired'],
    ['no exp', { exp: undefined }, 'token_invalid'],
    ['a string exp', { exp: String(now + 600) }, 'token_invalid'],
    ['nbf in the future', { nbf: now + 600 }, 'token_invalid'],
    ['iat in the future', { iat: now + 600 }, 'token_invalid'],
    ['a string iat', { iat: 'now' }, 'token_invalid'],
    ['another audience', { aud: 'app-2' }, 'token_invalid'],
    ['an empty audience list', { aud: [] }, 'token_invalid'],
    ['another issuer', { iss: 'https://evil.test' }, 'token_invalid'],
    ['no issuer', { iss: undefined }, 'token_invalid'],
  ]
  for (const [name, change, code] of claimCases) {
    it(`both refuse claims with ${name}`, async () => {
      const token = await jws(goodHeader(), { ...goodClaims(), ...change })
      expect(await outcomes(token)).toEqual([code, code])
    })
  }

  it('both refuse a tampered signature, a duplicate member and a fourth segment', async () => {
    const good = await jws(goodHeader(), goodClaims())
    const [h, p, s] = good.split('.') as [string, string, string]
    const flipped = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`
    const payload = JSON.stringify(goodClaims()).replace('"sub":"user-1"', '"sub":"a","sub":"b"')
    for (const token of [flipped, await jws(goodHeader(), payload), `${good}.x`, `${h}.${p}.`]) {
      expect(await outcomes(token)).toEqual(['token_invalid', 'token_invalid'])
    }
  })
})

describe('verifyJwt for OIDC tokens', () => {
  it('verifies RS256 on an RSA key, which user tokens never accept', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwk = { ...rsa.publicKey.export({ format: 'jwk' }), alg: 'RS256', kid: 'rsa-1' }
    const key = await importKey(jwk as JsonWebKey)
    const header = { alg: 'RS256', kid: 'rsa-1' }
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'o-1', exp: now + 600 }
    const input = `${enc(header)}.${enc(claims)}`
    const token = `${input}.${toBase64Url(nodeSign('sha256', Buffer.from(input), rsa.privateKey))}`
    const verified = await verifyJwt(token, { issuer: ISSUER, audience: AUDIENCE, keys: [key] })
    expect(verified.claims.sub).toBe('o-1')
    await expect(
      verifyUserToken(token, { issuer: ISSUER, audience: AUDIENCE, keys: [key] }),
    ).rejects.toMatchObject({ code: 'token_invalid' })
    await expect(
      verifyJwt(token, { issuer: ISSUER, audience: AUDIENCE, keys: [key], algorithms: ['ES256'] }),
    ).rejects.toMatchObject({ code: 'token_invalid' })
  })

  it('accepts what jose signs, with or without typ, and only session types', async () => {
    const { privateKey: joseKey, publicKey: josePublic } = await jose.generateKeyPair('ES256')
    const key = await importKey({ ...(await jose.exportJWK(josePublic)), kid: 'k1' } as JsonWebKey)
    const sign = (typ: string | undefined) =>
      new jose.SignJWT({ sub: 'o-1' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ === undefined ? {} : { typ }) })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(joseKey)
    const options = { issuer: ISSUER, audience: AUDIENCE, keys: [key] }
    for (const typ of [undefined, 'JWT', 'at+jwt', 'application/at+jwt']) {
      expect((await verifyJwt(await sign(typ), options)).claims.sub).toBe('o-1')
    }
    for (const typ of ['logout+jwt', 'dpop+jwt', 'secevent+jwt']) {
      await expect(verifyJwt(await sign(typ), options)).rejects.toMatchObject({
        code: 'token_invalid',
      })
    }
    await expect(
      verifyJwt(await sign(undefined), { ...options, typeOptional: false }),
    ).rejects.toMatchObject({ code: 'token_invalid' })
  })
})
