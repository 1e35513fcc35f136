import { generateKeyPairSync, KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fromBase64, fromBase64Url, toBase64, toBase64Url, toHex, utf8 } from '../encoding.ts'
import { nodeBackend } from './node.ts'
import { ALGORITHMS, type Algorithm, type CryptoBackend, type Key } from './types.ts'
import { webBackend } from './web.ts'

function vectors<T>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../testkit/vectors/rfc/${name}`, import.meta.url), 'utf8'),
  ) as T
}

/** DOM's `JsonWebKey` type has no `kid`. */
type Jwk = JsonWebKey & { kid?: string }

interface RfcKey {
  algorithms: Algorithm[]
  publicKeyPem?: string
  privateKeyPem?: string
  jwk?: Jwk
  secretBase64?: string
}
interface SigningCase {
  id: string
  algorithm: Algorithm
  keyid: string
  deterministic: boolean
  signatureBase: string
  signatureValueBase64: string
}

const RFC_KEYS = vectors<{ keys: Record<string, RfcKey> }>('rfc9421-keys.json').keys
const SIGNING_CASES: SigningCase[] = [
  ...vectors<{ cases: SigningCase[] }>('rfc9421-appendix-b2.json').cases,
  ...vectors<{ cases: SigningCase[] }>('rfc9421-appendix-b3-b4.json').cases,
  ...vectors<{ signingCases: SigningCase[] }>('rfc9421-section-examples.json').signingCases,
]

const ASYMMETRIC: Algorithm[] = [
  'ed25519',
  'ecdsa-p256-sha256',
  'rsa-pss-sha512',
  'rsa-v1_5-sha256',
]
const HMAC: Algorithm[] = ['hmac-sha256', 'hmac-sha1']
const JWA: Record<string, string> = {
  ed25519: 'EdDSA',
  'ecdsa-p256-sha256': 'ES256',
  'rsa-pss-sha512': 'PS512',
  'rsa-v1_5-sha256': 'RS256',
}
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

/** Every key generated once per backend and algorithm, shared by the tests below. */
const pairCache = new Map<string, Promise<{ privateKey: Key; publicKey: Key }>>()
function pair(backend: CryptoBackend, algorithm: Algorithm) {
  const id = `${backend.name}:${algorithm}`
  let p = pairCache.get(id)
  if (p === undefined) {
    p = backend.generateKeyPair(algorithm)
    pairCache.set(id, p)
  }
  return p
}

function publicPart(jwk: JsonWebKey | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(jwk ?? {})) {
    if (['kty', 'crv', 'x', 'y', 'n', 'e'].includes(k)) {
      out[k] = v
    }
  }
  return out
}

async function expectTypeError(promise: Promise<unknown>, pattern?: RegExp): Promise<TypeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(TypeError)
  if (pattern !== undefined) {
    expect((error as TypeError).message).toMatch(pattern)
  }
  return error as TypeError
}

const message = utf8('countersign: the quick brown fox')

describe.each([webBackend, nodeBackend])('$name backend', (backend) => {
  describe('digest', () => {
    it.each([
      ['sha-256', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      [
        'sha-512',
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
      ],
      ['sha-1', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ] as const)('%s matches the FIPS 180 "abc" answer', async (algorithm, hex) => {
      const out = await backend.digest(algorithm, utf8('abc'))
      expect(out.constructor).toBe(Uint8Array)
      expect(toHex(out)).toBe(hex)
    })

    it('rejects unknown algorithms and non-bytes with TypeError', async () => {
      await expectTypeError(backend.digest('md5' as never, utf8('abc')), /unsupported digest/)
      await expectTypeError(backend.digest('sha-256', 'abc' as never))
    })
  })

  describe.each(ALGORITHMS)('%s round trip', (algorithm) => {
    it('signs and verifies with generated keys', async () => {
      const { privateKey, publicKey } = await pair(backend, algorithm)
      expect(privateKey.algorithm).toBe(algorithm)
      expect(privateKey.backend).toBe(backend.name)
      expect(privateKey.keyId).toBe(publicKey.keyId)
      expect(privateKey.keyId).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const signature = await privateKey.sign(message)
      expect(signature.constructor).toBe(Uint8Array)
      if (algorithm.startsWith('rsa')) {
        expect(signature.length).toBe(256)
      } else {
        expect(signature.length).toBe(
          { 'hmac-sha256': 32, 'hmac-sha1': 20 }[algorithm as string] ?? 64,
        )
      }
      expect(await publicKey.verify(message, signature)).toBe(true)
      expect(await privateKey.verify(message, signature)).toBe(true)
    })

    it('rejects tampered data, tampered or wrong-length signatures without throwing', async () => {
      const { privateKey, publicKey } = await pair(backend, algorithm)
      const signature = await privateKey.sign(message)
      const flipped = signature.slice()
      flipped[flipped.length - 1]! ^= 1
      const otherData = message.slice()
      otherData[0]! ^= 0x80
      for (const key of [publicKey, privateKey]) {
        expect(await key.verify(otherData, signature)).toBe(false)
        expect(await key.verify(message, flipped)).toBe(false)
        expect(await key.verify(message, new Uint8Array(0))).toBe(false)
        expect(await key.verify(message, signature.subarray(1))).toBe(false)
        expect(await key.verify(message, Uint8Array.of(...signature, 0))).toBe(false)
        expect(await key.verify(message, new Uint8Array(signature.length))).toBe(false)
        expect(await key.verify(message, new Uint8Array(signature.length).fill(0xff))).toBe(false)
        expect(await key.verify(message, 'not bytes' as never)).toBe(false)
        expect(await key.verify(message, null as never)).toBe(false)
      }
    })

    it('rejects non-bytes data with TypeError', async () => {
      const { privateKey } = await pair(backend, algorithm)
      await expectTypeError(privateKey.sign('text' as never), /Uint8Array/)
      await expectTypeError(privateKey.verify('text' as never, new Uint8Array(64)), /Uint8Array/)
    })

    it('exposes sync operations on the node backend only', async () => {
      const { privateKey, publicKey } = await pair(backend, algorithm)
      if (backend.name === 'node') {
        const signature = privateKey.signSync!(message)
        expect(publicKey.verifySync!(message, signature)).toBe(true)
        expect(await publicKey.verify(message, signature)).toBe(true)
        expect(publicKey.verifySync!(message, signature.subarray(1))).toBe(false)
        expect(privateKey.nativeKey).toBeInstanceOf(KeyObject)
      } else {
        expect(privateKey.signSync).toBeUndefined()
        expect(privateKey.verifySync).toBeUndefined()
        expect(privateKey.nativeKey).toBeInstanceOf(CryptoKey)
      }
    })

    it('returns frozen keys', async () => {
      const { privateKey } = await pair(backend, algorithm)
      expect(Object.isFrozen(privateKey)).toBe(true)
    })
  })

  describe.each(ASYMMETRIC)('%s keys', (algorithm) => {
    it('publish a public JWK with kid, alg and use, and no private members', async () => {
      const { privateKey, publicKey } = await pair(backend, algorithm)
      expect(privateKey.type).toBe('private')
      expect(publicKey.type).toBe('public')
      const jwk = privateKey.publicJwk() as Jwk
      expect(jwk).toEqual(publicKey.publicJwk())
      expect(jwk.kid).toBe(privateKey.keyId)
      expect(jwk.alg).toBe(JWA[algorithm])
      expect(jwk.use).toBe('sig')
      for (const member of PRIVATE_MEMBERS) {
        expect(jwk).not.toHaveProperty(member)
      }
      // The key id defaults to the RFC 7638 thumbprint of the public JWK.
      const { computeJwkThumbprint } = await import('../keys/thumbprint.ts')
      expect(await computeJwkThumbprint(jwk)).toBe(privateKey.keyId)
    })

    it('hand out a fresh copy of the JWK each time', async () => {
      const { publicKey } = await pair(backend, algorithm)
      const jwk = publicKey.publicJwk() as Jwk
      jwk.kid = 'changed'
      expect((publicKey.publicJwk() as Jwk).kid).toBe(publicKey.keyId)
    })

    it('refuse to sign with a public key', async () => {
      const { publicKey } = await pair(backend, algorithm)
      await expectTypeError(publicKey.sign(message), /public key cannot sign/)
    })

    it('round-trip through their public JWK', async () => {
      const { privateKey } = await pair(backend, algorithm)
      const imported = await backend.importKey(privateKey.publicJwk()!)
      expect(imported.algorithm).toBe(algorithm)
      expect(imported.keyId).toBe(privateKey.keyId)
      expect(await imported.verify(message, await privateKey.sign(message))).toBe(true)
    })
  })

  describe.each(HMAC)('%s secrets', (algorithm) => {
    it('have no public JWK and the same key as both halves', async () => {
      const { privateKey, publicKey } = await pair(backend, algorithm)
      expect(privateKey).toBe(publicKey)
      expect(privateKey.type).toBe('secret')
      expect(privateKey.publicJwk()).toBeUndefined()
    })
  })

  describe('RFC 9421 test keys and signatures', () => {
    it.each(SIGNING_CASES.map((c) => [c.id, c] as const))(
      '%s verifies with the PEM and JWK forms of its key',
      async (_id, c) => {
        const rfcKey = RFC_KEYS[c.keyid]!
        const base = utf8(c.signatureBase)
        const signature = fromBase64(c.signatureValueBase64)
        const keys: Key[] = []
        if (rfcKey.secretBase64 !== undefined) {
          keys.push(
            await backend.importKey(fromBase64(rfcKey.secretBase64), {
              algorithm: c.algorithm,
              keyId: c.keyid,
            }),
          )
        } else {
          keys.push(
            await backend.importKey(rfcKey.publicKeyPem!, { algorithm: c.algorithm }),
            await backend.importKey(rfcKey.privateKeyPem!, { algorithm: c.algorithm }),
            await backend.importKey(rfcKey.jwk!, { algorithm: c.algorithm }),
          )
        }
        let checked = 0
        for (const key of keys) {
          expect(await key.verify(base, signature)).toBe(true)
          expect(await key.verify(utf8(`${c.signatureBase} `), signature)).toBe(false)
          if (c.deterministic && key.type !== 'public') {
            expect(toBase64Url(await key.sign(base))).toBe(toBase64Url(signature))
          }
          checked++
        }
        expect(checked).toBe(keys.length)
      },
    )

    it('covers every algorithm in the vectors', () => {
      expect(new Set(SIGNING_CASES.map((c) => c.algorithm))).toEqual(
        new Set([
          'rsa-pss-sha512',
          'ecdsa-p256-sha256',
          'hmac-sha256',
          'ed25519',
          'rsa-v1_5-sha256',
        ]),
      )
      expect(SIGNING_CASES.length).toBeGreaterThanOrEqual(12)
    })

    it.each(Object.entries(RFC_KEYS).filter(([, k]) => k.publicKeyPem !== undefined))(
      '%s: PEM (public and private) and JWK import agree on the public JWK',
      async (name, rfcKey) => {
        const algorithm = rfcKey.algorithms[0]!
        const fromPublicPem = await backend.importKey(rfcKey.publicKeyPem!, { algorithm })
        const fromPrivatePem = await backend.importKey(rfcKey.privateKeyPem!, { algorithm })
        const fromJwk = await backend.importKey(rfcKey.jwk!, { algorithm })
        expect(fromPublicPem.type).toBe('public')
        expect(fromPrivatePem.type).toBe('private')
        expect(fromJwk.type).toBe('private')
        expect(publicPart(fromPublicPem.publicJwk())).toEqual(publicPart(rfcKey.jwk))
        expect(publicPart(fromPrivatePem.publicJwk())).toEqual(publicPart(rfcKey.jwk))
        expect(fromPublicPem.keyId).toBe(fromPrivatePem.keyId)
        expect(fromJwk.keyId).toBe(name) // from the JWK's kid
        const signature = await fromPrivatePem.sign(message)
        expect(await fromPublicPem.verify(message, signature)).toBe(true)
        expect(await fromJwk.verify(message, signature)).toBe(true)
      },
    )
  })

  describe('importKey', () => {
    const secret64 = fromBase64(RFC_KEYS['test-shared-secret']!.secretBase64!)

    it('infers the algorithm from a JWK', async () => {
      const ed = await backend.importKey(RFC_KEYS['test-key-ed25519']!.jwk!)
      expect(ed.algorithm).toBe('ed25519')
      const withOps = {
        ...RFC_KEYS['test-key-ed25519']!.jwk!,
        key_ops: ['sign'],
        use: 'sig',
        ext: true,
      }
      expect((await backend.importKey(withOps)).algorithm).toBe('ed25519')
      const ec = await backend.importKey(RFC_KEYS['test-key-ecc-p256']!.jwk!)
      expect(ec.algorithm).toBe('ecdsa-p256-sha256')
      const oct = await backend.importKey({ kty: 'oct', k: toBase64Url(secret64) })
      expect(oct.algorithm).toBe('hmac-sha256')
      const pss = await backend.importKey({ ...RFC_KEYS['test-key-rsa-pss']!.jwk!, alg: 'PS512' })
      expect(pss.algorithm).toBe('rsa-pss-sha512')
      const rs = await backend.importKey({ ...RFC_KEYS['test-key-rsa']!.jwk!, alg: 'RS256' })
      expect(rs.algorithm).toBe('rsa-v1_5-sha256')
      await expectTypeError(
        backend.importKey(RFC_KEYS['test-key-rsa']!.jwk!),
        /algorithm is required.*RSA/,
      )
    })

    it('takes the key id from options, then the JWK kid, then the thumbprint', async () => {
      const jwk = RFC_KEYS['test-key-ed25519']!.jwk!
      expect((await backend.importKey(jwk, { keyId: 'mine' })).keyId).toBe('mine')
      expect((await backend.importKey(jwk)).keyId).toBe('test-key-ed25519')
      const { kid: _kid, ...noKid } = jwk
      const thumb = (await backend.importKey(noKid)).keyId
      expect(thumb).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const { computeJwkThumbprint } = await import('../keys/thumbprint.ts')
      expect(thumb).toBe(await computeJwkThumbprint(jwk))
    })

    it('gives the RFC 7638 §3.1 key its thumbprint as key id', async () => {
      const key = await backend.importKey({
        kty: 'RSA',
        n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
        e: 'AQAB',
        alg: 'RS256',
      })
      expect(key.keyId).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
    })

    it('imports raw HMAC secrets and derives a key id only from 32 bytes up', async () => {
      const long = await backend.importKey(secret64, { algorithm: 'hmac-sha256' })
      const { computeJwkThumbprint } = await import('../keys/thumbprint.ts')
      expect(long.keyId).toBe(await computeJwkThumbprint({ kty: 'oct', k: toBase64Url(secret64) }))
      const exactly32 = await backend.importKey(secret64.slice(0, 32), { algorithm: 'hmac-sha1' })
      expect(exactly32.keyId).toMatch(/^[A-Za-z0-9_-]{43}$/)
      await expectTypeError(
        backend.importKey(secret64.slice(0, 31), { algorithm: 'hmac-sha256' }),
        /^keyId is required for secrets shorter than 32 bytes$/,
      )
      const short = await backend.importKey(utf8('short'), {
        algorithm: 'hmac-sha1',
        keyId: 'legacy',
      })
      expect(short.keyId).toBe('legacy')
      await expectTypeError(
        backend.importKey({ kty: 'oct', k: toBase64Url(utf8('short')) }),
        /keyId is required/,
      )
      const kidOct = await backend.importKey({
        kty: 'oct',
        k: toBase64Url(utf8('short')),
        kid: 'k1',
      } as Jwk)
      expect(kidOct.keyId).toBe('k1')
    })

    it('copies the secret at import', async () => {
      const bytes = secret64.slice()
      const key = await backend.importKey(bytes, { algorithm: 'hmac-sha256' })
      const before = await key.sign(message)
      bytes.fill(0)
      expect(await key.sign(message)).toEqual(before)
    })

    it('refuses empty secrets, raw bytes for asymmetric algorithms and missing algorithms', async () => {
      await expectTypeError(
        backend.importKey(new Uint8Array(0), { algorithm: 'hmac-sha256', keyId: 'k' }),
        /must not be empty/,
      )
      await expectTypeError(
        backend.importKey({ kty: 'oct', k: '', kid: 'k' } as Jwk),
        /must not be empty/,
      )
      await expectTypeError(
        backend.importKey(secret64, { algorithm: 'ed25519' }),
        /only be imported as an HMAC secret/,
      )
      await expectTypeError(backend.importKey(secret64), /algorithm is required/)
      await expectTypeError(
        backend.importKey(RFC_KEYS['test-key-ed25519']!.publicKeyPem!),
        /algorithm is required/,
      )
      await expectTypeError(
        backend.importKey(secret64, { algorithm: 'hmac-md5' as never }),
        /unsupported algorithm/,
      )
      await expectTypeError(backend.importKey(42 as never), /JWK must be an object/)
      await expectTypeError(backend.importKey(null as never), /JWK must be an object/)
    })

    it('refuses invalid key ids', async () => {
      for (const keyId of ['', 'é', 'a\nb', 'x'.repeat(257), 42]) {
        await expectTypeError(
          backend.importKey(secret64, { algorithm: 'hmac-sha256', keyId: keyId as never }),
          /keyId must be/,
        )
      }
    })

    it('refuses a key that does not fit the algorithm', async () => {
      const ed = RFC_KEYS['test-key-ed25519']!
      const ec = RFC_KEYS['test-key-ecc-p256']!
      const rsa = RFC_KEYS['test-key-rsa']!
      const cases: [string | JsonWebKey, Algorithm][] = [
        [ed.publicKeyPem!, 'ecdsa-p256-sha256'],
        [ed.privateKeyPem!, 'rsa-pss-sha512'],
        [ec.publicKeyPem!, 'ed25519'],
        [ec.privateKeyPem!, 'rsa-v1_5-sha256'],
        [rsa.publicKeyPem!, 'ed25519'],
        [rsa.privateKeyPem!, 'ecdsa-p256-sha256'],
        [ed.publicKeyPem!, 'hmac-sha256'],
        [ed.jwk!, 'ecdsa-p256-sha256'],
        [ec.jwk!, 'ed25519'],
        [rsa.jwk!, 'ed25519'],
        [{ kty: 'oct', k: toBase64Url(secret64) }, 'ed25519'],
        [ed.jwk!, 'hmac-sha256'],
      ]
      for (const [input, algorithm] of cases) {
        await expectTypeError(backend.importKey(input, { algorithm }))
      }
    })

    it('refuses keys on other curves and RSA keys under 2048 bits', async () => {
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 })
      const spki = (k: KeyObject) => k.export({ format: 'pem', type: 'spki' }) as string
      const pkcs8 = (k: KeyObject) => k.export({ format: 'pem', type: 'pkcs8' }) as string
      await expectTypeError(
        backend.importKey(spki(p384.publicKey), { algorithm: 'ecdsa-p256-sha256' }),
      )
      await expectTypeError(
        backend.importKey(pkcs8(p384.privateKey), { algorithm: 'ecdsa-p256-sha256' }),
      )
      await expectTypeError(
        backend.importKey(p384.publicKey.export({ format: 'jwk' }) as JsonWebKey, {
          algorithm: 'ecdsa-p256-sha256',
        }),
      )
      for (const algorithm of ['rsa-pss-sha512', 'rsa-v1_5-sha256'] as const) {
        await expectTypeError(
          backend.importKey(spki(rsa1024.publicKey), { algorithm }),
          /at least 2048 bits/,
        )
        await expectTypeError(
          backend.importKey(pkcs8(rsa1024.privateKey), { algorithm }),
          /at least 2048 bits/,
        )
      }
    })

    it('refuses garbage PEM', async () => {
      const ed = RFC_KEYS['test-key-ed25519']!.publicKeyPem!
      const bad = [
        '',
        'not a key',
        ed.replace('MCowBQYDK2VwAyEA', 'MCowBQYDK2VwAyEB'),
        ed.replace('-----END PUBLIC KEY-----', '-----END PRIVATE KEY-----'),
        ed.replace('MCow', 'MC*w'),
        `${ed}${ed}`,
        `junk\n${ed}`,
        '-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----',
        '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
        '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
        '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----',
        `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(40_000)}\n-----END PUBLIC KEY-----`,
      ]
      for (const pem of bad) {
        await expectTypeError(backend.importKey(pem, { algorithm: 'ed25519' }))
      }
    })

    it('refuses garbage JWKs', async () => {
      const ed = RFC_KEYS['test-key-ed25519']!.jwk!
      const ec = RFC_KEYS['test-key-ecc-p256']!.jwk!
      const rsa = RFC_KEYS['test-key-rsa']!.jwk!
      const bad: Jwk[] = [
        {},
        { kty: 'EC' },
        { kty: 'EC', crv: 'P-384', x: ec.x, y: ec.y },
        { kty: 'OKP', crv: 'X25519', x: ed.x },
        { kty: 'OKP', crv: 'Ed25519' },
        { kty: 'OKP', crv: 'Ed25519', x: 'not base64url!' },
        { kty: 'OKP', crv: 'Ed25519', x: ed.x!.slice(0, 20) },
        { ...ed, alg: 'ES256' },
        { ...ed, use: 'enc' },
        { ...ed, key_ops: ['encrypt'] },
        { ...ed, key_ops: 'sign' } as unknown as Jwk,
        { kty: 'EC', crv: 'P-256', x: ec.x, y: ec.x }, // not on the curve
        { kty: 'RSA', n: rsa.n, e: rsa.e, p: rsa.p, alg: 'RS256' }, // private member without d
        { kty: 'RSA', n: rsa.n, e: rsa.e, d: rsa.d, alg: 'RS256' }, // no CRT members
        { ...rsa, alg: 'RS256', oth: [] } as JsonWebKey,
        { kty: 'RSA', n: 'AQAB', e: 'AQAB', alg: 'PS512' }, // tiny modulus
        { kty: 'oct', k: 42 } as unknown as JsonWebKey,
        { kty: 'oct', k: 'abc', alg: 'HS512', kid: 'k' },
        [] as unknown as JsonWebKey,
      ]
      for (const jwk of bad) {
        await expectTypeError(backend.importKey(jwk))
      }
    })

    it('never puts key material in error messages', async () => {
      const secret = utf8('hunter2-but-longer')
      const e1 = await expectTypeError(backend.importKey(secret, { algorithm: 'hmac-sha256' }))
      expect(e1.message).not.toContain('hunter2')
      expect(e1.message).not.toContain(toBase64Url(secret))
      const ec = RFC_KEYS['test-key-ecc-p256']!.jwk!
      const badD = `${ec.d!.slice(0, 42)}A`
      const e2 = await expectTypeError(backend.importKey({ ...ec, d: `${badD}AAAA` }))
      expect(e2.message).not.toContain(badD)
      const pem = RFC_KEYS['test-key-ecc-p256']!.privateKeyPem!
      const body = pem.split('\n')[1]!
      const e3 = await expectTypeError(backend.importKey(pem.replace(body, body.replace('M', '!'))))
      expect(e3.message).not.toContain(body.slice(2, 30))
      const e4 = await expectTypeError(backend.importKey(pem, { algorithm: 'ed25519' }))
      expect(e4.message).not.toContain(body.slice(2, 30))
      for (const error of [e1, e2, e3, e4]) {
        expect(error.cause).toBeUndefined()
      }
    })

    it('keeps keys non-extractable by default on the web backend', async () => {
      if (backend.name !== 'web') {
        return
      }
      const ec = RFC_KEYS['test-key-ecc-p256']!
      const plain = await backend.importKey(ec.privateKeyPem!, { algorithm: 'ecdsa-p256-sha256' })
      expect((plain.nativeKey as CryptoKey).extractable).toBe(false)
      const open = await backend.importKey(ec.privateKeyPem!, {
        algorithm: 'ecdsa-p256-sha256',
        extractable: true,
      })
      expect((open.nativeKey as CryptoKey).extractable).toBe(true)
      const secret = await backend.importKey(secret64, { algorithm: 'hmac-sha256' })
      expect((secret.nativeKey as CryptoKey).extractable).toBe(false)
      const generated = await backend.generateKeyPair('ed25519')
      expect((generated.privateKey.nativeKey as CryptoKey).extractable).toBe(false)
    })

    it('honours a key id at generation and rejects unknown algorithms', async () => {
      const { privateKey, publicKey } = await backend.generateKeyPair('ed25519', { keyId: 'gen-1' })
      expect(privateKey.keyId).toBe('gen-1')
      expect((publicKey.publicJwk() as Jwk).kid).toBe('gen-1')
      await expectTypeError(backend.generateKeyPair('rsa-md5' as never), /unsupported algorithm/)
    })

    it.each([
      ['test-key-ed25519', 'ed25519', ['x']],
      ['test-key-ecc-p256', 'ecdsa-p256-sha256', ['x', 'y']],
      ['test-key-rsa-pss', 'rsa-pss-sha512', ['n']],
    ] as const)(
      'refuses a private %s JWK whose public members do not match',
      async (name, algorithm, members) => {
        const other = (await pair(backend, algorithm)).publicKey.publicJwk() as unknown as Record<
          string,
          string
        >
        const mixed: Record<string, unknown> = { ...RFC_KEYS[name]!.jwk }
        for (const member of members) {
          mixed[member] = other[member]
        }
        await expectTypeError(backend.importKey(mixed, { algorithm }), /do not match|rejected/)
      },
    )
  })
})

describe('cross-backend', () => {
  const directions = [
    [nodeBackend, webBackend],
    [webBackend, nodeBackend],
  ] as const

  describe.each(ASYMMETRIC)('%s', (algorithm) => {
    it.each(directions)(
      'signs on $name, verifies on the other backend',
      async (signer, verifier) => {
        const { privateKey } = await pair(signer, algorithm)
        const publicKey = await verifier.importKey(privateKey.publicJwk()!)
        expect(publicKey.keyId).toBe(privateKey.keyId)
        const signature = await privateKey.sign(message)
        expect(await publicKey.verify(message, signature)).toBe(true)
        expect(await publicKey.verify(utf8('other'), signature)).toBe(false)
      },
    )
  })

  it.each(HMAC)('%s gives the same MAC and key id on both backends', async (algorithm) => {
    const secret = fromBase64Url('c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0')
    const a = await nodeBackend.importKey(secret, { algorithm })
    const b = await webBackend.importKey(secret, { algorithm })
    expect(a.keyId).toBe(b.keyId)
    const mac = await a.sign(message)
    expect(await b.sign(message)).toEqual(mac)
    expect(await b.verify(message, mac)).toBe(true)
  })

  it('node signs and verifies the same asynchronously (thread pool) as synchronously', async () => {
    for (const algorithm of ASYMMETRIC) {
      const { privateKey, publicKey } = await pair(nodeBackend, algorithm)
      const datas = Array.from({ length: 24 }, (_, i) => utf8(`message ${i} `.repeat(i + 1)))
      // Many at once, as a server would: every async signature verifies synchronously.
      const signatures = await Promise.all(datas.map((data) => privateKey.sign(data)))
      datas.forEach((data, i) => {
        const signature = signatures[i]!
        expect(signature.constructor).toBe(Uint8Array)
        expect(publicKey.verifySync!(data, signature)).toBe(true)
        if (algorithm === 'ed25519' || algorithm.startsWith('rsa-v1_5')) {
          expect(signature).toEqual(privateKey.signSync!(data)) // deterministic algorithms
        }
      })
      // The async verify agrees with verifySync on good, tampered and misplaced signatures.
      const trials = datas.flatMap((data, i) => {
        const flipped = signatures[i]!.slice()
        flipped[i % flipped.length]! ^= 1
        return [
          [data, signatures[i]!],
          [data, flipped],
          [data, signatures[(i + 1) % datas.length]!],
        ] as const
      })
      const verdicts = await Promise.all(trials.map(([d, sig]) => publicKey.verify(d, sig)))
      expect(verdicts).toEqual(trials.map(([d, sig]) => publicKey.verifySync!(d, sig)))
      expect(verdicts.filter(Boolean)).toHaveLength(datas.length)
    }
  })

  it('node digestBase64Sync is the padded base64 of the digest; web has none', async () => {
    for (const algorithm of ['sha-256', 'sha-512', 'sha-1'] as const) {
      for (const size of [0, 1, 2, 3, 55, 64, 300, 4096]) {
        const data = Uint8Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff)
        expect(nodeBackend.digestBase64Sync!(algorithm, data)).toBe(
          toBase64(await webBackend.digest(algorithm, data)),
        )
      }
    }
    expect(() => nodeBackend.digestBase64Sync!('md5' as never, message)).toThrow(TypeError)
    expect(() => nodeBackend.digestBase64Sync!('sha-256', 'abc' as never)).toThrow(TypeError)
    expect(webBackend.digestBase64Sync).toBeUndefined()
  })

  it('digests agree', async () => {
    for (const algorithm of ['sha-256', 'sha-512', 'sha-1'] as const) {
      expect(await nodeBackend.digest(algorithm, message)).toEqual(
        await webBackend.digest(algorithm, message),
      )
    }
  })

  it('imports the RFC keys to the same key ids', async () => {
    for (const rfcKey of Object.values(RFC_KEYS)) {
      if (rfcKey.publicKeyPem === undefined) {
        continue
      }
      const algorithm = rfcKey.algorithms[0]!
      const a = await nodeBackend.importKey(rfcKey.privateKeyPem!, { algorithm })
      const b = await webBackend.importKey(rfcKey.privateKeyPem!, { algorithm })
      expect(a.keyId).toBe(b.keyId)
      expect(a.publicJwk()).toEqual(b.publicJwk())
    }
  })
})
