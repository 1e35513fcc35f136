import { createMemoryStore } from '@countersign/core'
import { describe, expect, it } from 'vitest'
import { createSigningKeys } from './signing-keys.ts'

const DAY = 86_400_000
const masterKey = new Uint8Array(32).fill(7)

describe('createSigningKeys', () => {
  it('signs with one key per slot and rotates on schedule', async () => {
    let now = 10 * DAY + 1000
    const keys = createSigningKeys({ rotateEveryMs: DAY, overlapMs: DAY / 4, now: () => now })
    const first = await keys.current()
    expect(first.algorithm).toBe('ed25519')
    expect(first.type).toBe('private')
    expect(await keys.current()).toBe(first)
    now += DAY
    const second = await keys.current()
    expect(second.keyId).not.toBe(first.keyId)
    // The previous key still verifies during the overlap...
    expect(await keys.get(first.keyId)).toBe(first)
    expect((await keys.jwks()).keys.map((k) => k.kid)).toContain(first.keyId)
    // ...and is gone after it.
    now += DAY / 4
    expect(await keys.get(first.keyId)).toBeUndefined()
    expect((await keys.jwks()).keys.map((k) => k.kid)).not.toContain(first.keyId)
  })

  it('publishes the next key before it signs', async () => {
    let now = 10 * DAY
    const keys = createSigningKeys({ rotateEveryMs: DAY, overlapMs: DAY / 4, now: () => now })
    const current = await keys.current()
    expect((await keys.jwks()).keys).toHaveLength(1)
    now = 11 * DAY - DAY / 8 // inside the overlap before the next slot
    const jwks = await keys.jwks()
    expect(jwks.keys).toHaveLength(2)
    const next = jwks.keys.find((k) => k.kid !== current.keyId)
    expect(next).toBeDefined()
    now = 11 * DAY
    expect((await keys.current()).keyId).toBe(next?.kid)
  })

  it('publishes public members only', async () => {
    const keys = createSigningKeys({ algorithm: 'ecdsa-p256-sha256' })
    const { keys: list } = await keys.jwks()
    expect(list).toHaveLength(1)
    const [jwk] = list
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(jwk).not.toHaveProperty('d')
  })

  it('shares keys through a store, sealed under the master key', async () => {
    const store = createMemoryStore()
    const now = () => 20 * DAY + 5
    const a = createSigningKeys({ store, masterKey, now })
    const b = createSigningKeys({ store, masterKey, now })
    const [ka, kb] = await Promise.all([a.current(), b.current()])
    expect(ka.keyId).toBe(kb.keyId)
    // A fresh instance (a restart) finds the same key.
    const c = createSigningKeys({ store, masterKey, now })
    expect((await c.current()).keyId).toBe(ka.keyId)
    expect(await c.get(ka.keyId)).toBeDefined()
    // At rest: no private member in the clear.
    const dump = JSON.stringify(await store.list('cs:sk:'))
    expect(dump).not.toContain('"d"')
    const jwk = ka.publicJwk() as JsonWebKey
    expect(dump).not.toContain(jwk.x as string)
    // The wrong master key cannot read it.
    const wrong = createSigningKeys({ store, masterKey: new Uint8Array(32).fill(8), now })
    await expect(wrong.current()).rejects.toThrow(/master key/)
  })

  it('validates options', () => {
    expect(() => createSigningKeys({ algorithm: 'hmac-sha256' as 'ed25519' })).toThrow(TypeError)
    expect(() => createSigningKeys({ rotateEveryMs: 0 })).toThrow(TypeError)
    expect(() => createSigningKeys({ store: createMemoryStore() })).toThrow(/masterKey/)
    expect(() => createSigningKeys({ store: createMemoryStore(), masterKey: 'short' })).toThrow(
      /32 bytes/,
    )
  })

  it('answers undefined for unknown kids without creating keys', async () => {
    const store = createMemoryStore()
    const keys = createSigningKeys({ store, masterKey })
    expect(await keys.get('nope')).toBeUndefined()
    expect(await store.list('cs:sk:')).toHaveLength(0)
  })
})

describe('SigningKeys.rotate', () => {
  it('makes the next key current now, keeps the old one published for the overlap, and is shared', async () => {
    let now = 10 * DAY + 1000
    const store = createMemoryStore({ now: () => now })
    const options = { store, masterKey, rotateEveryMs: DAY, overlapMs: DAY / 4, now: () => now }
    const a = createSigningKeys(options)
    const b = createSigningKeys(options)
    const before = await a.current()
    expect((await b.current()).keyId).toBe(before.keyId)
    expect((await a.nextRotationAt()).getTime()).toBe(11 * DAY)
    const after = await a.rotate()
    expect((await a.nextRotationAt()).getTime()).toBe(now + DAY) // a full slot from now
    expect(after.keyId).not.toBe(before.keyId)
    expect((await a.current()).keyId).toBe(after.keyId)
    const kids = (await a.jwks()).keys.map((k) => k.kid)
    expect(kids).toContain(before.keyId) // tokens it signed still verify
    expect(kids).toContain(after.keyId)
    expect((await a.get(before.keyId))?.keyId).toBe(before.keyId)
    // Another instance follows once its copy of the shift is older than 5 s.
    now += 5_000
    expect((await b.current()).keyId).toBe(after.keyId)
    expect((await b.get(after.keyId))?.keyId).toBe(after.keyId)
    // The old key leaves the JWKS one overlap after the rotation.
    now += DAY / 4
    expect((await a.jwks()).keys.map((k) => k.kid)).not.toContain(before.keyId)
    expect((await a.current()).keyId).toBe(after.keyId)
  })

  it('rotates without a store too', async () => {
    const keys = createSigningKeys({ rotateEveryMs: DAY, overlapMs: DAY / 4 })
    const before = await keys.current()
    const { rotate } = keys
    expect((await rotate()).keyId).not.toBe(before.keyId)
  })
})
