import { createHmac } from 'node:crypto'
import { createMemoryStore, hashSecret } from '@countersign/core'
import { describe, expect, it, vi } from 'vitest'
import { createApiKeys } from './api-keys.ts'

const masterKey = new Uint8Array(32).fill(3)

function setup() {
  let now = 1_700_000_000_000
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
  const store = createMemoryStore({ now: clock.now })
  const apiKeys = createApiKeys({ store, masterKey, now: clock.now })
  return { clock, store, apiKeys }
}

describe('createApiKeys', () => {
  it('creates a cs_ak key shown once and stored only as a hash', async () => {
    const { apiKeys, store } = setup()
    const { id, key, secret } = await apiKeys.createApiKey({
      name: 'acme',
      scopes: ['a', 'b'],
      meta: { plan: 'pro' },
    })
    expect(id).toMatch(/^ak_[A-Za-z0-9_-]{22}$/)
    expect(key).toMatch(/^cs_ak_[0-9A-Za-z]{49}$/)
    expect(secret).toBeUndefined()
    const dump = JSON.stringify(await store.list(''))
    expect(dump).not.toContain(key)
    expect(dump).toContain(await hashSecret(key))
    expect(await apiKeys.verifyApiKey(key)).toEqual({
      valid: true,
      code: 'VALID',
      id,
      name: 'acme',
      scopes: ['a', 'b'],
      meta: { plan: 'pro' },
    })
  })

  it('answers NOT_FOUND for garbage without a lookup, and for unknown keys', async () => {
    const { apiKeys, store } = setup()
    const get = vi.spyOn(store, 'get')
    for (const bad of ['', 'nope', 'cs_ak_x', 'Bearer x', 'x'.repeat(100_000)]) {
      expect(await apiKeys.verifyApiKey(bad)).toEqual({ valid: false, code: 'NOT_FOUND' })
    }
    expect(await apiKeys.verifyApiKey(undefined as unknown as string)).toEqual({
      valid: false,
      code: 'NOT_FOUND',
    })
    expect(get).not.toHaveBeenCalled()
    const other = setup()
    const { key } = await other.apiKeys.createApiKey({ name: 'x' })
    expect((await apiKeys.verifyApiKey(key)).code).toBe('NOT_FOUND')
  })

  it('orders checks: disabled, expired, scope, then rate limit', async () => {
    const { apiKeys, clock, store } = setup()
    const { id, key } = await apiKeys.createApiKey({
      name: 'x',
      scopes: ['read'],
      expiresAt: 1_700_000_060_000,
      rateLimit: { limit: 2, windowMs: 10_000 },
    })
    const hit = vi.spyOn(store, 'hit')
    expect((await apiKeys.verifyApiKey(key, { scope: 'write' })).code).toBe('FORBIDDEN')
    expect((await apiKeys.verifyApiKey(key, { scope: ['read', 'write'] })).code).toBe('FORBIDDEN')
    expect(hit).not.toHaveBeenCalled()
    await apiKeys.disable(id)
    expect((await apiKeys.verifyApiKey(key, { scope: 'read' })).code).toBe('DISABLED')
    await apiKeys.enable(id)
    expect(hit).not.toHaveBeenCalled()
    const first = await apiKeys.verifyApiKey(key, { scope: 'read' })
    expect(first).toMatchObject({
      valid: true,
      code: 'VALID',
      rateLimit: { limit: 2, remaining: 1 },
    })
    expect((await apiKeys.verifyApiKey(key)).valid).toBe(true)
    const limited = await apiKeys.verifyApiKey(key)
    expect(limited).toMatchObject({ valid: false, code: 'RATE_LIMITED', id })
    expect(limited.retryAfterMs).toBeGreaterThan(0)
    // Refused calls never spent the limit: after the window, two calls pass again.
    clock.advance(20_000) // a sliding window: two window lengths clear it fully
    expect((await apiKeys.verifyApiKey(key, { scope: 'nope' })).code).toBe('FORBIDDEN')
    expect((await apiKeys.verifyApiKey(key)).valid).toBe(true)
    expect((await apiKeys.verifyApiKey(key)).valid).toBe(true)
    clock.advance(60_000)
    expect((await apiKeys.verifyApiKey(key)).code).toBe('EXPIRED')
    // rateLimit: false skips the counter.
    clock.advance(-60_000)
    clock.advance(20_000)
    expect((await apiKeys.verifyApiKey(key, { rateLimit: false })).code).toBe('VALID')
  })

  it('rerolls with a grace period', async () => {
    const { apiKeys, clock } = setup()
    const { id, key: oldKey } = await apiKeys.createApiKey({ name: 'x' })
    const rerolled = await apiKeys.reroll(id, { gracePeriodMs: 60_000 })
    expect(rerolled?.id).toBe(id)
    const newKey = rerolled?.key as string
    expect(newKey).not.toBe(oldKey)
    expect((await apiKeys.verifyApiKey(oldKey)).code).toBe('VALID')
    expect((await apiKeys.verifyApiKey(newKey)).code).toBe('VALID')
    clock.advance(60_000)
    expect((await apiKeys.verifyApiKey(oldKey)).code).toBe('NOT_FOUND')
    expect((await apiKeys.verifyApiKey(newKey)).code).toBe('VALID')
    // Without grace, the old key stops at once.
    const again = await apiKeys.reroll(id)
    expect((await apiKeys.verifyApiKey(newKey)).code).toBe('NOT_FOUND')
    expect((await apiKeys.verifyApiKey(again?.key as string)).code).toBe('VALID')
    expect(await apiKeys.reroll('ak_AAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined()
    await expect(apiKeys.reroll(id, { gracePeriodMs: -1 })).rejects.toThrow(RangeError)
  })

  it('lists, gets and deletes keys', async () => {
    const { apiKeys } = setup()
    const a = await apiKeys.createApiKey({ name: 'a' })
    const b = await apiKeys.createApiKey({ name: 'b', withSecret: true })
    const list = await apiKeys.list()
    expect(list.map((k) => k.id).sort()).toEqual([a.id, b.id].sort())
    expect(JSON.stringify(list)).not.toContain(a.key)
    expect(JSON.stringify(list)).not.toContain(b.secret as string)
    expect((await apiKeys.get(b.id))?.hasSecret).toBe(true)
    expect(await apiKeys.get('../etc/passwd')).toBeUndefined()
    expect(await apiKeys.delete(a.id)).toBe(true)
    expect(await apiKeys.delete(a.id)).toBe(false)
    expect((await apiKeys.verifyApiKey(a.key)).code).toBe('NOT_FOUND')
    expect(await apiKeys.disable(a.id)).toBe(false)
  })

  it('seals HMAC secrets with AES-GCM and resolves them as core HMAC keys', async () => {
    const { apiKeys, store } = setup()
    const { id, key, secret } = await apiKeys.createApiKey({
      name: 'signer',
      scopes: ['sign'],
      withSecret: true,
    })
    expect(secret).toMatch(/^cs_as_[0-9A-Za-z]{49}$/)
    const dump = JSON.stringify(await store.list(''))
    expect(dump).not.toContain(secret)
    const data = new TextEncoder().encode(
      'post/api/a/actions/subscription-information2023-03-12t12:01:02.000z',
    )

    const byId = await apiKeys.secretResolver()(id)
    expect(byId?.algorithm).toBe('hmac-sha256')
    expect(byId?.keyId).toBe(id)
    const expected256 = createHmac('sha256', secret as string)
      .update(data)
      .digest()
    expect(await byId?.verify(data, new Uint8Array(expected256))).toBe(true)

    const byKey = await apiKeys.apiKeyResolver({ algorithm: 'hmac-sha1', scope: 'sign' })(key)
    const expected1 = createHmac('sha1', secret as string)
      .update(data)
      .digest()
    expect(await byKey?.verify(data, new Uint8Array(expected1))).toBe(true)

    expect(await apiKeys.apiKeyResolver({ scope: 'admin' })(key)).toBeUndefined()
    expect(await apiKeys.apiKeyResolver()('garbage')).toBeUndefined()
    expect(await apiKeys.secretResolver()('ak_nope')).toBeUndefined()
    await apiKeys.disable(id)
    expect(await apiKeys.secretResolver()(id)).toBeUndefined()
    await apiKeys.enable(id)
    // Rerolling the secret replaces it at once.
    const rerolled = await apiKeys.reroll(id, { rerollSecret: true, gracePeriodMs: 1000 })
    const fresh = await apiKeys.secretResolver()(id)
    expect(await fresh?.verify(data, new Uint8Array(expected256))).toBe(false)
    const expectedNew = createHmac('sha256', rerolled?.secret as string)
      .update(data)
      .digest()
    expect(await fresh?.verify(data, new Uint8Array(expectedNew))).toBe(true)
  })

  it('binds a sealed secret to its key id (AAD) and the master key', async () => {
    const { apiKeys, store } = setup()
    const a = await apiKeys.createApiKey({ name: 'a', withSecret: true })
    const b = await apiKeys.createApiKey({ name: 'b', withSecret: true })
    const recA = JSON.parse((await store.get(`cs:ak:id:${a.id}`)) as string)
    const recB = JSON.parse((await store.get(`cs:ak:id:${b.id}`)) as string)
    recB.secret = recA.secret // swap A's sealed secret into B's record
    await store.set(`cs:ak:id:${b.id}`, JSON.stringify(recB))
    await expect(apiKeys.secretResolver()(b.id)).rejects.toThrow(/decrypt/)
    const other = createApiKeys({ store, masterKey: new Uint8Array(32).fill(9) })
    await expect(other.secretResolver()(a.id)).rejects.toThrow(/decrypt/)
  })

  it('validates input', async () => {
    const { apiKeys } = setup()
    const bad: unknown[] = [
      { name: '' },
      { name: 'x'.repeat(201) },
      { name: 'x', scopes: 'admin' },
      { name: 'x', scopes: ['has space'] },
      { name: 'x', expiresAt: 'tomorrow' },
      { name: 'x', meta: [] },
      { name: 'x', meta: { big: 'x'.repeat(5000) } },
      { name: 'x', meta: JSON.parse('{"__proto__":{}}') },
      { name: 'x', rateLimit: { limit: 0, windowMs: 1 } },
      { name: 'x', rateLimit: { limit: 1 } },
      null,
    ]
    for (const input of bad) {
      await expect(apiKeys.createApiKey(input as { name: string })).rejects.toThrow(
        /expected|at most/,
      )
    }
    const noMaster = createApiKeys({ store: createMemoryStore() })
    await expect(noMaster.createApiKey({ name: 'x', withSecret: true })).rejects.toThrow(
      /masterKey/,
    )
    expect(() => createApiKeys({ store: createMemoryStore(), masterKey: 'tooshort' })).toThrow(
      TypeError,
    )
  })

  it('fails closed when the store is down', async () => {
    const { apiKeys, store } = setup()
    const { key } = await apiKeys.createApiKey({
      name: 'x',
      rateLimit: { limit: 5, windowMs: 1000 },
    })
    vi.spyOn(store, 'hit').mockRejectedValue(new Error('down'))
    await expect(apiKeys.verifyApiKey(key)).rejects.toMatchObject({ code: 'store_unavailable' })
  })
})
