import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nodeBackend } from '../crypto/node.ts'
import type { Algorithm, CryptoBackend, Key } from '../crypto/types.ts'
import { webBackend } from '../crypto/web.ts'
import { utf8 } from '../encoding.ts'
import { createKeyRing } from './key-ring.ts'

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0)
const HOUR = 3_600_000
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

describe.each([webBackend, nodeBackend])('key ring ($name keys)', (backend: CryptoBackend) => {
  let n = 0
  async function keyPair(algorithm: Algorithm = 'ed25519') {
    n++
    return backend.generateKeyPair(algorithm, { keyId: `${algorithm}-${n}` })
  }
  async function signing(algorithm: Algorithm = 'ed25519'): Promise<Key> {
    return (await keyPair(algorithm)).privateKey
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('starts empty and refuses to pick a signing key', () => {
    const ring = createKeyRing()
    expect(ring.keys()).toEqual([])
    expect(ring.jwks()).toEqual({ keys: [] })
    expect(() => ring.signingKey()).toThrow(TypeError)
    expect(ring.get('nope')).toBeUndefined()
  })

  it('signs with the most recently added valid key and verifies with all of them', async () => {
    const a = await signing()
    const b = await signing()
    const ring = createKeyRing([a])
    expect(ring.signingKey()).toBe(a)
    ring.add(b)
    expect(ring.signingKey()).toBe(b)
    expect(ring.get(a.keyId)).toBe(a)
    expect(ring.get(b.keyId)).toBe(b)
    expect(ring.keys()).toEqual([a, b])
    const data = utf8('payload')
    const sig = await ring.signingKey().sign(data)
    expect(await ring.get(b.keyId)!.verify(data, sig)).toBe(true)
  })

  it('prefers the primary while it is valid, whatever was added later', async () => {
    const a = await signing()
    const b = await signing()
    const c = await signing()
    const ring = createKeyRing([{ key: a, primary: true }, b])
    expect(ring.signingKey()).toBe(a)
    ring.add(c)
    expect(ring.signingKey()).toBe(a)
    ring.add(await signing(), { primary: true })
    expect(ring.signingKey()).not.toBe(a)
  })

  it('falls back from a primary that has expired or is not yet active', async () => {
    const a = await signing()
    const b = await signing()
    const ring = createKeyRing()
    ring.add(b)
    ring.add(a, { primary: true, notBefore: T0 + HOUR, notAfter: T0 + 3 * HOUR })
    expect(ring.signingKey()).toBe(b) // a not active yet
    vi.setSystemTime(T0 + HOUR)
    expect(ring.signingKey()).toBe(a)
    vi.setSystemTime(T0 + 3 * HOUR)
    expect(ring.signingKey()).toBe(b) // a expired
  })

  it('publishes a key before notBefore (verify) but signs with it only from notBefore', async () => {
    const current = await signing()
    const next = await signing()
    const ring = createKeyRing([current])
    ring.add(next, { notBefore: new Date(T0 + HOUR) })
    expect(ring.signingKey()).toBe(current)
    expect(ring.get(next.keyId)).toBe(next)
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([current.keyId, next.keyId])
    vi.setSystemTime(T0 + HOUR - 1)
    expect(ring.signingKey()).toBe(current)
    vi.setSystemTime(T0 + HOUR)
    expect(ring.signingKey()).toBe(next)
  })

  it('stops returning a key for verification from notAfter on', async () => {
    const old = await signing()
    const ring = createKeyRing()
    ring.add(old, { notAfter: T0 + HOUR })
    expect(ring.get(old.keyId)).toBe(old)
    vi.setSystemTime(T0 + HOUR - 1)
    expect(ring.get(old.keyId)).toBe(old)
    vi.setSystemTime(T0 + HOUR)
    expect(ring.get(old.keyId)).toBeUndefined()
    expect(() => ring.signingKey()).toThrow(/no valid signing key/)
    expect(ring.jwks().keys).toEqual([])
    expect(ring.keys()).toEqual([old]) // still listed
  })

  it('retires a key: no more signing, still verifying and published', async () => {
    const a = await signing()
    const b = await signing()
    const ring = createKeyRing([a, { key: b, primary: true }])
    expect(ring.retire(b.keyId)).toBe(true)
    expect(ring.signingKey()).toBe(a)
    expect(ring.get(b.keyId)).toBe(b)
    expect(ring.jwks().keys.map((k) => k.kid)).toContain(b.keyId)
    expect(ring.retire(a.keyId)).toBe(true)
    expect(() => ring.signingKey()).toThrow(TypeError)
    expect(ring.retire('unknown')).toBe(false)
  })

  it('removes a key entirely', async () => {
    const a = await signing()
    const b = await signing()
    const ring = createKeyRing([a, { key: b, primary: true }])
    expect(ring.remove(b.keyId)).toBe(true)
    expect(ring.get(b.keyId)).toBeUndefined()
    expect(ring.signingKey()).toBe(a)
    expect(ring.keys()).toEqual([a])
    expect(ring.remove(b.keyId)).toBe(false)
    // The id can be reused after removal.
    ring.add(b)
    expect(ring.signingKey()).toBe(b)
  })

  it('never signs with a public key', async () => {
    const { publicKey } = await keyPair()
    const ring = createKeyRing([publicKey])
    expect(ring.get(publicKey.keyId)).toBe(publicKey)
    expect(() => ring.signingKey()).toThrow(TypeError)
  })

  it('filters signing keys by algorithm', async () => {
    const ed = await signing('ed25519')
    const ec = await signing('ecdsa-p256-sha256')
    const mac = await signing('hmac-sha256')
    const ring = createKeyRing([ed, { key: ec, primary: true }, mac])
    expect(ring.signingKey()).toBe(ec)
    expect(ring.signingKey('ed25519')).toBe(ed)
    expect(ring.signingKey('ecdsa-p256-sha256')).toBe(ec)
    expect(ring.signingKey('hmac-sha256')).toBe(mac)
    expect(() => ring.signingKey('rsa-pss-sha512')).toThrow(/for rsa-pss-sha512/)
  })

  it('refuses duplicate key ids and bad dates', async () => {
    const a = await signing()
    const ring = createKeyRing([a])
    expect(() => ring.add(a)).toThrow(TypeError)
    const twin = (await backend.generateKeyPair('ed25519', { keyId: a.keyId })).privateKey
    expect(() => ring.add(twin)).toThrow(/already in the ring/)
    const b = await signing()
    expect(() => ring.add(b, { notBefore: T0, notAfter: T0 })).toThrow(/notAfter/)
    expect(() => ring.add(b, { notBefore: new Date('garbage') })).toThrow(/notBefore/)
    expect(() => ring.add(b, { notAfter: Number.NaN })).toThrow(/notAfter/)
    expect(() => ring.add({} as never)).toThrow(TypeError)
    expect(() => createKeyRing([a, a])).toThrow(TypeError)
    // Nothing was added by the failed calls.
    expect(ring.keys()).toEqual([a])
  })

  it('publishes only public JWKs, never secrets or private members (RFC 7517 set)', async () => {
    const ed = await keyPair('ed25519')
    const ec = await keyPair('ecdsa-p256-sha256')
    const rsa = await keyPair('rsa-pss-sha512')
    const mac = await keyPair('hmac-sha256')
    const ring = createKeyRing([ed.privateKey, ec.publicKey, rsa.privateKey, mac.privateKey])
    const jwks = ring.jwks()
    expect(Object.keys(jwks)).toEqual(['keys'])
    expect(jwks.keys.map((k) => k.kid)).toEqual([
      ed.privateKey.keyId,
      ec.publicKey.keyId,
      rsa.privateKey.keyId,
    ])
    expect(jwks.keys.map((k) => k.alg)).toEqual(['EdDSA', 'ES256', 'PS512'])
    for (const jwk of jwks.keys) {
      expect(jwk.use).toBe('sig')
      for (const member of PRIVATE_MEMBERS) {
        expect(jwk).not.toHaveProperty(member)
      }
    }
    const text = JSON.stringify(jwks)
    expect(text).not.toContain('"k"')
    expect(text).not.toContain('"d"')
    // The published keys import and verify on their own.
    const data = utf8('jwks')
    const imported = await backend.importKey(jwks.keys[0]!)
    expect(await imported.verify(data, await ed.privateKey.sign(data))).toBe(true)
  })

  it('returns copies: changing keys() or jwks() output does not change the ring', async () => {
    const a = await signing()
    const ring = createKeyRing([a])
    ring.keys().pop()
    ring.jwks().keys[0]!.kid = 'changed'
    expect(ring.keys()).toEqual([a])
    expect(ring.jwks().keys[0]!.kid).toBe(a.keyId)
  })
})
