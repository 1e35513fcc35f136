import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isCountersignError, StoreError } from '../errors.ts'
import { createMemoryStore, type MemoryStoreOptions } from './memory.ts'

function setup(options: Omit<MemoryStoreOptions, 'now'> = {}) {
  const clock = { t: 1_700_000_000_000 }
  const store = createMemoryStore({ ...options, now: () => clock.t })
  return { store, clock }
}

async function expectStoreFull(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(StoreError)
  expect(isCountersignError(error, 'store_full')).toBe(true)
  expect((error as StoreError).status).toBe(503)
}

describe('createMemoryStore options', () => {
  it('validates maxEntries and now', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createMemoryStore({ maxEntries })).toThrow(RangeError)
    }
    expect(() => createMemoryStore({ maxEntries: '10' as unknown as number })).toThrow(TypeError)
    expect(() => createMemoryStore({ now: 5 as unknown as () => number })).toThrow(TypeError)
    expect(() => createMemoryStore(null as unknown as MemoryStoreOptions)).toThrow(TypeError)
  })

  it('uses Date.now by default', async () => {
    const store = createMemoryStore()
    expect(await store.set('k', 'v', { ttlMs: 60_000 })).toBe(true)
    expect(await store.get('k')).toBe('v')
    await store.close()
  })

  it('rejects a clock that returns a non-finite value', async () => {
    const store = createMemoryStore({ now: () => Number.NaN })
    await expect(store.get('k')).rejects.toThrow(TypeError)
  })
})

describe('argument validation', () => {
  const { store } = setup()
  const badKeys: Array<[unknown, ErrorConstructor]> = [
    ['', TypeError],
    ['x'.repeat(1025), RangeError],
    [42, TypeError],
    [undefined, TypeError],
    [null, TypeError],
    ['a\uD800', TypeError],
    ['\uDC00a', TypeError],
  ]

  it('rejects bad keys in every operation', async () => {
    for (const [key, type] of badKeys) {
      const k = key as string
      await expect(store.consumeOnce(k, 1000)).rejects.toThrow(type)
      await expect(store.get(k)).rejects.toThrow(type)
      await expect(store.set(k, 'v')).rejects.toThrow(type)
      await expect(store.delete(k)).rejects.toThrow(type)
      await expect(store.hit(k, { limit: 1, windowMs: 1000 })).rejects.toThrow(type)
    }
    expect(await store.set('x'.repeat(1024), 'v')).toBe(true)
    expect(await store.set('\uD83D\uDE00', 'v')).toBe(true)
  })

  it('rejects bad TTLs', async () => {
    for (const ttlMs of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      await expect(store.consumeOnce('n', ttlMs)).rejects.toThrow(RangeError)
      await expect(store.set('k', 'v', { ttlMs })).rejects.toThrow(RangeError)
    }
    await expect(store.consumeOnce('n', '10' as unknown as number)).rejects.toThrow(TypeError)
    await expect(store.consumeOnce('n', undefined as unknown as number)).rejects.toThrow(TypeError)
  })

  it('rejects bad values and set options', async () => {
    await expect(store.set('k', 1 as unknown as string)).rejects.toThrow(TypeError)
    await expect(store.set('k', undefined as unknown as string)).rejects.toThrow(TypeError)
    await expect(store.set('k', 'v', 'x' as never)).rejects.toThrow(TypeError)
    await expect(store.set('k', 'v', { ifAbsent: 1 as unknown as boolean })).rejects.toThrow(
      TypeError,
    )
  })

  it('rejects bad list arguments', async () => {
    await expect(store.list(1 as unknown as string)).rejects.toThrow(TypeError)
    await expect(store.list('x'.repeat(1025))).rejects.toThrow(RangeError)
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      await expect(store.list('', { limit })).rejects.toThrow(RangeError)
    }
    await expect(store.list('', null as never)).rejects.toThrow(TypeError)
  })

  it('rejects bad hit options', async () => {
    const bad: unknown[] = [
      undefined,
      null,
      { limit: 0, windowMs: 1000 },
      { limit: 1.5, windowMs: 1000 },
      { limit: 5, windowMs: 0 },
      { limit: 5, windowMs: -1 },
      { limit: 5, windowMs: Number.POSITIVE_INFINITY },
      { limit: 5, windowMs: 1000, cost: 0 },
      { limit: 5, windowMs: 1000, cost: 6 },
      { limit: 5, windowMs: 1000, cost: 1.5 },
      { windowMs: 1000 },
      { limit: '5', windowMs: 1000 },
    ]
    for (const options of bad) {
      await expect(store.hit('k', options as never)).rejects.toThrow(/expected/)
    }
  })

  it('never touches a prototype', async () => {
    const s = setup().store
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(await s.get(key)).toBeUndefined()
      expect(await s.set(key, `v-${key}`)).toBe(true)
      expect(await s.get(key)).toBe(`v-${key}`)
      expect(await s.consumeOnce(key, 1000)).toBe(true)
      expect((await s.hit(key, { limit: 1, windowMs: 1000 })).allowed).toBe(true)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect((await s.list('')).map((e) => e.key)).toEqual([
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'toString',
    ])
  })
})

describe('consumeOnce', () => {
  it('is true once per key within the TTL, and again after it', async () => {
    const { store, clock } = setup()
    expect(await store.consumeOnce('n1', 1000)).toBe(true)
    expect(await store.consumeOnce('n1', 1000)).toBe(false)
    expect(await store.consumeOnce('n2', 1000)).toBe(true)
    clock.t += 999
    expect(await store.consumeOnce('n1', 1000)).toBe(false)
    clock.t += 1
    expect(await store.consumeOnce('n1', 5000)).toBe(true)
    clock.t += 4999
    expect(await store.consumeOnce('n1', 1000)).toBe(false)
  })

  it('gives exactly one true among 1,000 concurrent calls on one key', async () => {
    const { store } = setup()
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => store.consumeOnce('race', 60_000)),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('keeps nonces, values and windows in separate key spaces', async () => {
    const { store } = setup()
    expect(await store.consumeOnce('k', 1000)).toBe(true)
    expect(await store.get('k')).toBeUndefined()
    expect(await store.set('k', 'v')).toBe(true)
    expect(await store.consumeOnce('k', 1000)).toBe(false)
    expect((await store.hit('k', { limit: 1, windowMs: 1000 })).allowed).toBe(true)
    expect(await store.get('k')).toBe('v')
    expect(await store.delete('k')).toBe(true)
    expect(await store.consumeOnce('k', 1000)).toBe(false)
  })
})

describe('key-value', () => {
  it('gets, sets, overwrites and deletes', async () => {
    const { store } = setup()
    expect(await store.get('a')).toBeUndefined()
    expect(await store.set('a', '1')).toBe(true)
    expect(await store.get('a')).toBe('1')
    expect(await store.set('a', '2')).toBe(true)
    expect(await store.get('a')).toBe('2')
    expect(await store.set('a', '')).toBe(true)
    expect(await store.get('a')).toBe('')
    expect(await store.delete('a')).toBe(true)
    expect(await store.delete('a')).toBe(false)
    expect(await store.get('a')).toBeUndefined()
  })

  it('expires entries after ttlMs, exactly', async () => {
    const { store, clock } = setup()
    await store.set('t', 'v', { ttlMs: 100 })
    await store.set('forever', 'v')
    clock.t += 99
    expect(await store.get('t')).toBe('v')
    clock.t += 1
    expect(await store.get('t')).toBeUndefined()
    clock.t += 10 ** 12
    expect(await store.get('forever')).toBe('v')
  })

  it('overwriting resets or removes the TTL', async () => {
    const { store, clock } = setup()
    await store.set('t', 'v', { ttlMs: 100 })
    await store.set('t', 'w')
    clock.t += 1000
    expect(await store.get('t')).toBe('w')
    await store.set('t', 'x', { ttlMs: 50 })
    clock.t += 50
    expect(await store.get('t')).toBeUndefined()
  })

  it('ifAbsent writes only when no live entry exists', async () => {
    const { store, clock } = setup()
    expect(await store.set('k', 'first', { ifAbsent: true, ttlMs: 100 })).toBe(true)
    expect(await store.set('k', 'second', { ifAbsent: true })).toBe(false)
    expect(await store.get('k')).toBe('first')
    expect(await store.set('k', 'third', { ifAbsent: false })).toBe(true)
    expect(await store.get('k')).toBe('third')
    await store.set('e', 'old', { ttlMs: 10 })
    clock.t += 10
    expect(await store.set('e', 'new', { ifAbsent: true })).toBe(true)
    expect(await store.get('e')).toBe('new')
  })

  it('gives exactly one true among concurrent ifAbsent writes', async () => {
    const { store } = setup()
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) => store.set('lock', String(i), { ifAbsent: true })),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await store.get('lock')).toBe(String(results.indexOf(true)))
  })

  it('delete reports false for an expired entry', async () => {
    const { store, clock } = setup()
    await store.set('k', 'v', { ttlMs: 5 })
    clock.t += 5
    expect(await store.delete('k')).toBe(false)
  })
})

describe('list', () => {
  it('returns live entries with the prefix, in key order, up to limit', async () => {
    const { store, clock } = setup()
    for (const key of ['user:3', 'user:10', 'user:1', 'user:2', 'users', 'usex', 'a', 'user:']) {
      await store.set(key, `v:${key}`)
    }
    await store.set('user:0', 'gone', { ttlMs: 10 })
    expect((await store.list('user:')).map((e) => e.key)).toEqual([
      'user:',
      'user:0',
      'user:1',
      'user:10',
      'user:2',
      'user:3',
    ])
    clock.t += 10
    expect(await store.list('user:', { limit: 2 })).toEqual([
      { key: 'user:', value: 'v:user:' },
      { key: 'user:1', value: 'v:user:1' },
    ])
    expect((await store.list('user')).map((e) => e.key)).toEqual([
      'user:',
      'user:1',
      'user:10',
      'user:2',
      'user:3',
      'users',
    ])
    expect((await store.list('')).length).toBe(8)
    expect(await store.list('nothing')).toEqual([])
    expect((await store.list('user:1', { limit: 1 })).map((e) => e.key)).toEqual(['user:1'])
  })

  it('orders by code point (UTF-8 byte order), not UTF-16 code unit', async () => {
    const { store } = setup()
    const keys = ['k\uFFFF', 'k\u{1F600}', 'k\uE000', 'kZ', 'k\u00E9', 'k']
    for (const key of keys) {
      await store.set(key, key)
    }
    const expected = [...keys].sort((a, b) =>
      Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')),
    )
    expect(expected).toEqual(['k', 'kZ', 'k\u00E9', 'k\uE000', 'k\uFFFF', 'k\u{1F600}'])
    expect((await store.list('k')).map((e) => e.key)).toEqual(expected)
  })

  it('matches byte order for arbitrary keys', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), {
          maxLength: 30,
        }),
        async (keys) => {
          const { store } = setup()
          for (const key of keys) {
            await store.set(key, 'v')
          }
          const expected = [...keys].sort((a, b) =>
            Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')),
          )
          expect((await store.list('')).map((e) => e.key)).toEqual(expected)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('defaults to a limit of 1000', async () => {
    const { store } = setup()
    for (let i = 0; i < 1005; i++) {
      await store.set(`k${String(i).padStart(4, '0')}`, 'v')
    }
    const all = await store.list('k')
    expect(all).toHaveLength(1000)
    expect(all[999]?.key).toBe('k0999')
    expect(await store.list('k', { limit: 5000 })).toHaveLength(1005)
  })
})

describe('hit (sliding window)', () => {
  const W = 60_000

  it('allows up to limit in a window, then refuses without counting', async () => {
    const { store, clock } = setup()
    clock.t = 100 * W // the start of a window
    const results = []
    for (let i = 0; i < 4; i++) {
      results.push(await store.hit('ip', { limit: 3, windowMs: W }))
    }
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false])
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
    expect(results.map((r) => r.limit)).toEqual([3, 3, 3, 3])
    expect(results[0]).toMatchObject({ retryAfterMs: 0, resetMs: 2 * W })
    // All three hits stay in `current` until the next window, then decay over it.
    expect(results[3]).toMatchObject({ allowed: false, retryAfterMs: W + W / 3, resetMs: 2 * W })
    expect((await store.hit('other', { limit: 3, windowMs: W })).allowed).toBe(true)
  })

  it('weights the previous window by how much of it still overlaps', async () => {
    const { store, clock } = setup()
    clock.t = 200 * W + W / 2 // middle of window 200
    for (let i = 0; i < 10; i++) {
      expect((await store.hit('k', { limit: 10, windowMs: W })).allowed).toBe(true)
    }
    clock.t = 201 * W + W / 4 // a quarter into window 201: previous weighs 3/4 -> 7.5 used
    const a = await store.hit('k', { limit: 10, windowMs: W })
    expect(a).toMatchObject({ allowed: true, remaining: 1, resetMs: 2 * W - W / 4 })
    const b = await store.hit('k', { limit: 10, windowMs: W })
    expect(b).toMatchObject({ allowed: true, remaining: 0 }) // 7.5 + 2 = 9.5
    const c = await store.hit('k', { limit: 10, windowMs: W })
    expect(c.allowed).toBe(false)
    // Needs previous * (W - e) / W + 2 + 1 <= 10, i.e. 10 * (W - e) <= 7W, e >= 0.3W.
    expect(c.retryAfterMs).toBe(0.3 * W - W / 4)
    clock.t += c.retryAfterMs - 1
    expect((await store.hit('k', { limit: 10, windowMs: W })).allowed).toBe(false)
    clock.t += 1
    expect((await store.hit('k', { limit: 10, windowMs: W })).allowed).toBe(true)
  })

  it('counts cost', async () => {
    const { store, clock } = setup()
    clock.t = 5 * W
    expect(await store.hit('k', { limit: 10, windowMs: W, cost: 4 })).toMatchObject({
      allowed: true,
      remaining: 6,
    })
    expect(await store.hit('k', { limit: 10, windowMs: W, cost: 6 })).toMatchObject({
      allowed: true,
      remaining: 0,
    })
    const refused = await store.hit('k', { limit: 10, windowMs: W, cost: 10 })
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 2 * W })
    clock.t += W + 1
    expect(await store.hit('k', { limit: 10, windowMs: W, cost: 1 })).toMatchObject({
      allowed: false,
    })
  })

  it('forgets a key two windows after its last hit', async () => {
    const { store, clock } = setup()
    clock.t = 7 * W + 123
    await store.hit('k', { limit: 1, windowMs: W })
    const refused = await store.hit('k', { limit: 1, windowMs: W })
    expect(refused.resetMs).toBe(2 * W - 123)
    clock.t += refused.resetMs
    expect(await store.hit('k', { limit: 1, windowMs: W })).toMatchObject({
      allowed: true,
      remaining: 0,
    })
  })

  it('starts afresh when the same key is used with another windowMs', async () => {
    const { store } = setup()
    await store.hit('k', { limit: 1, windowMs: 1000 })
    expect((await store.hit('k', { limit: 1, windowMs: 1000 })).allowed).toBe(false)
    expect((await store.hit('k', { limit: 1, windowMs: 2000 })).allowed).toBe(true)
  })

  it('keeps counting in the recorded window when the clock goes backwards', async () => {
    const { store, clock } = setup()
    clock.t = 10 * W + 10
    await store.hit('k', { limit: 2, windowMs: W })
    clock.t = 9 * W
    expect((await store.hit('k', { limit: 2, windowMs: W })).allowed).toBe(true)
    expect((await store.hit('k', { limit: 2, windowMs: W })).allowed).toBe(false)
  })

  it('never lets more than limit through in one fixed window; retryAfterMs is exact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 20 })), {
          minLength: 1,
          maxLength: 60,
        }),
        async (limit, windowMs, steps) => {
          const { store, clock } = setup()
          const perWindow = new Map<number, number>()
          for (const [advance, rawCost] of steps) {
            clock.t += advance
            const cost = Math.min(rawCost, limit)
            const now = clock.t
            const r = await store.hit('k', { limit, windowMs, cost })
            expect(r.limit).toBe(limit)
            expect(r.remaining).toBeGreaterThanOrEqual(0)
            expect(r.remaining).toBeLessThanOrEqual(limit)
            expect(r.resetMs).toBeLessThanOrEqual(2 * windowMs)
            if (r.allowed) {
              expect(r.retryAfterMs).toBe(0)
              expect(r.resetMs).toBeGreaterThan(windowMs)
              const index = Math.floor(now / windowMs)
              perWindow.set(index, (perWindow.get(index) ?? 0) + cost)
              expect(perWindow.get(index)).toBeLessThanOrEqual(limit)
            } else {
              expect(r.retryAfterMs).toBeGreaterThan(0)
              expect(r.retryAfterMs).toBeLessThanOrEqual(2 * windowMs)
              // Refused probes are not counted, so probing does not change the state.
              if (r.retryAfterMs > 1) {
                clock.t = now + r.retryAfterMs - 1
                expect((await store.hit('k', { limit, windowMs, cost })).allowed).toBe(false)
              }
              clock.t = now + r.retryAfterMs
              const again = await store.hit('k', { limit, windowMs, cost })
              expect(again.allowed).toBe(true)
              const index = Math.floor(clock.t / windowMs)
              perWindow.set(index, (perWindow.get(index) ?? 0) + cost)
              expect(perWindow.get(index)).toBeLessThanOrEqual(limit)
            }
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('bounds', () => {
  it('throws store_full instead of evicting live entries, across all data', async () => {
    const { store } = setup({ maxEntries: 3 })
    expect(await store.consumeOnce('n', 60_000)).toBe(true)
    expect(await store.set('v', 'value')).toBe(true)
    expect((await store.hit('w', { limit: 5, windowMs: 1000 })).allowed).toBe(true)
    await expectStoreFull(store.consumeOnce('n2', 60_000))
    await expectStoreFull(store.set('v2', 'value'))
    await expectStoreFull(store.set('v2', 'value', { ifAbsent: true }))
    await expectStoreFull(store.hit('w2', { limit: 5, windowMs: 1000 }))
    // Nothing was evicted, and existing keys still work when full.
    expect(await store.consumeOnce('n', 60_000)).toBe(false)
    expect(await store.get('v')).toBe('value')
    expect(await store.set('v', 'updated')).toBe(true)
    expect(await store.get('v')).toBe('updated')
    expect((await store.hit('w', { limit: 5, windowMs: 1000 })).remaining).toBe(3)
    // Deleting frees room.
    expect(await store.delete('v')).toBe(true)
    expect(await store.consumeOnce('n2', 60_000)).toBe(true)
  })

  it('sweeps expired entries to make room', async () => {
    const { store, clock } = setup({ maxEntries: 100 })
    for (let i = 0; i < 100; i++) {
      expect(await store.consumeOnce(`n${i}`, 1000 + i)).toBe(true)
    }
    await expectStoreFull(store.consumeOnce('late', 1000))
    clock.t += 1000 // exactly one nonce (n0) has expired
    expect(await store.consumeOnce('late', 1000)).toBe(true)
    await expectStoreFull(store.set('x', 'y'))
    clock.t += 10
    for (let i = 0; i < 10; i++) {
      expect(await store.set(`k${i}`, 'v')).toBe(true)
    }
    await expectStoreFull(store.set('k10', 'v'))
    // Replayed nonces are still refused while live.
    expect(await store.consumeOnce('n99', 1000)).toBe(false)
  })

  it('reclaims expired values and rate-limit windows too', async () => {
    const { store, clock } = setup({ maxEntries: 2 })
    await store.set('a', 'v', { ttlMs: 10 })
    await store.hit('w', { limit: 1, windowMs: 10 })
    await expectStoreFull(store.set('b', 'v'))
    clock.t += 30
    expect(await store.set('b', 'v')).toBe(true)
    expect(await store.consumeOnce('c', 10)).toBe(true)
  })

  it('holds maxEntries (default 100,000) and refuses the next one', async () => {
    const { store, clock } = setup()
    for (let i = 0; i < 100_000; i++) {
      await store.consumeOnce(`n${i}`, 1000)
    }
    await expectStoreFull(store.consumeOnce('one-more', 1000))
    clock.t += 1000
    expect(await store.consumeOnce('one-more', 1000)).toBe(true)
    expect(await store.consumeOnce('n5', 1000)).toBe(true)
  })
})

describe('close', () => {
  it('refuses every call afterwards with store_unavailable, and is idempotent', async () => {
    const { store } = setup()
    await store.set('k', 'v')
    await store.close()
    await store.close()
    for (const call of [
      () => store.get('k'),
      () => store.set('k', 'v'),
      () => store.delete('k'),
      () => store.list(''),
      () => store.consumeOnce('n', 1000),
      () => store.hit('k', { limit: 1, windowMs: 1000 }),
    ]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isCountersignError(error, 'store_unavailable')).toBe(true)
      expect((error as StoreError).retryable).toBe(false)
    }
  })
})
