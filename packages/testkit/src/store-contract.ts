/**
 * The store contract: one Vitest suite that every {@link Store} adapter (core's memory store,
 * SQLite, Redis) must pass, so they are interchangeable. It checks single use under heavy
 * concurrency, values with expiry, prefix listing in code point order, keys with awkward
 * characters, the sliding-window counter, argument validation and `close()`.
 *
 * Time-dependent cases use short real TTLs and generous waits; nothing asserts on speed.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@countersign/core'
 * import { runStoreContract } from '../../testkit/src/store-contract.ts'
 *
 * runStoreContract('memory', () => createMemoryStore())
 * ```
 *
 * @module
 */

import type { HitResult, Store } from '@countersign/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

/** Tuning for {@link runStoreContract}. */
export interface StoreContractOptions {
  /**
   * The short TTL, in milliseconds, used where expiry is tested (default 100). Waits are
   * several times longer, so a store whose clock is coarse can ask for more.
   */
  shortTtlMs?: number
  /** The timeout of each test, in milliseconds (default 30 000). */
  testTimeoutMs?: number
}

/** The longest key every store accepts, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 1024

/**
 * Keys that break naive adapters: glob and LIKE wildcards, hash-tag braces, separators, quotes,
 * NUL, prototype names, normalisation twins, astral and non-BMP characters, and the longest
 * allowed keys. Every one must stay distinct from every other and round-trip exactly.
 */
export const ODD_KEYS: readonly string[] = [
  'a',
  'A',
  'a ',
  ' a',
  'a:b',
  'a::b',
  ':',
  'a}',
  'a}:1',
  'a}:1:2',
  '{a}',
  '{}',
  '}{',
  '{',
  '}',
  'x{y}z',
  '*',
  'a*',
  '?',
  'a?',
  '[a]',
  '[',
  ']',
  '^',
  '\\',
  'a\\*',
  '%',
  '_',
  'a%',
  'a_b',
  "'",
  '"',
  "'; DROP TABLE kv; --",
  'a\u0000b',
  'a\nb',
  'a\r\nb',
  '\t',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '1',
  '01',
  'é',
  'e\u0301',
  '\u200b',
  '\ufeff',
  '\uffff',
  '😀',
  '😀😀',
  '日本語',
  'مرحبا',
  'k'.repeat(MAX_KEY_LENGTH),
  `${'k'.repeat(MAX_KEY_LENGTH - 1)}l`,
  `${'😀'.repeat(MAX_KEY_LENGTH / 2 - 1)}ab`,
]

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Orders strings by Unicode code point (UTF-8 byte order), the order `list` promises. */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a)
  const right = Array.from(b)
  const n = Math.min(left.length, right.length)
  for (let i = 0; i < n; i++) {
    const x = left[i]!.codePointAt(0)!
    const y = right[i]!.codePointAt(0)!
    if (x !== y) {
      return x - y
    }
  }
  return left.length - right.length
}

/** Calls `fn` and returns its promise, turning a synchronous throw into a rejection. */
function attempt(fn: () => unknown): Promise<unknown> {
  return Promise.resolve().then(fn)
}

/** A random-order copy of `items`. */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

function expectSaneHit(result: HitResult, limit: number, windowMs: number): void {
  expect(result.limit).toBe(limit)
  for (const field of ['remaining', 'retryAfterMs', 'resetMs'] as const) {
    expect(Number.isSafeInteger(result[field]), field).toBe(true)
    expect(result[field], field).toBeGreaterThanOrEqual(0)
  }
  expect(result.remaining).toBeLessThanOrEqual(limit)
  expect(result.resetMs).toBeLessThanOrEqual(2 * windowMs)
  if (result.allowed) {
    expect(result.retryAfterMs).toBe(0)
    expect(result.resetMs).toBeGreaterThan(0)
  } else {
    expect(result.retryAfterMs).toBeGreaterThan(0)
    expect(result.retryAfterMs).toBeLessThanOrEqual(2 * windowMs)
  }
}

/**
 * Registers the store contract as a Vitest `describe` block. `makeStore` is called for every
 * test and must return a fresh, empty store; the suite closes each store it made.
 *
 * @param name - Names the suite, e.g. `'sqlite'`.
 * @param makeStore - Makes a fresh, empty store.
 * @param options - Tuning; see {@link StoreContractOptions}.
 */
export function runStoreContract(
  name: string,
  makeStore: () => Promise<Store> | Store,
  options: StoreContractOptions = {},
): void {
  const ttl = options.shortTtlMs ?? 100
  const timeout = options.testTimeoutMs ?? 30_000

  describe(`store contract: ${name}`, { timeout }, () => {
    let store: Store
    const opened: Store[] = []

    beforeEach(async () => {
      store = await makeStore()
      opened.push(store)
    })

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()))
    })

    describe('consumeOnce', () => {
      it('is true the first time and false after', async () => {
        expect(await store.consumeOnce('nonce-1', 60_000)).toBe(true)
        expect(await store.consumeOnce('nonce-1', 60_000)).toBe(false)
        expect(await store.consumeOnce('nonce-1', 60_000)).toBe(false)
        expect(await store.consumeOnce('nonce-2', 60_000)).toBe(true)
      })

      it('is true again once the TTL has passed', async () => {
        // Only expiry is checked here: "false within the TTL" uses long TTLs above, so that a
        // stalled event loop cannot make this test flaky.
        expect(await store.consumeOnce('short', ttl)).toBe(true)
        await sleep(ttl * 3)
        expect(await store.consumeOnce('short', 60_000)).toBe(true)
        expect(await store.consumeOnce('short', 60_000)).toBe(false)
      })

      it('gives exactly one true to 1,000 parallel calls on one key', async () => {
        const results = await Promise.all(
          Array.from({ length: 1000 }, () => store.consumeOnce('contended', 60_000)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('redeems each of 1,000 tokens exactly once when several callers race for each', async () => {
        const tokens = Array.from({ length: 1000 }, (_, i) => `token:${i}`)
        const calls = shuffled(tokens.flatMap((token) => [token, token, token, token]))
        const results = await Promise.all(
          calls.map(async (token) => [token, await store.consumeOnce(token, 60_000)] as const),
        )
        const wins = new Map<string, number>()
        for (const [token, won] of results) {
          wins.set(token, (wins.get(token) ?? 0) + (won ? 1 : 0))
        }
        expect(wins.size).toBe(1000)
        expect([...wins.values()].every((count) => count === 1)).toBe(true)
      })

      it('keeps nonces apart from values and rate-limit windows', async () => {
        expect(await store.set('shared', 'value')).toBe(true)
        expect((await store.hit('shared', { limit: 5, windowMs: 60_000 })).remaining).toBe(4)
        expect(await store.consumeOnce('shared', 60_000)).toBe(true)
        expect(await store.get('shared')).toBe('value')
        expect(await store.list('shared')).toEqual([{ key: 'shared', value: 'value' }])
        expect((await store.hit('shared', { limit: 5, windowMs: 60_000 })).remaining).toBe(3)
        expect(await store.delete('shared')).toBe(true)
        expect(await store.consumeOnce('shared', 60_000)).toBe(false)
      })
    })

    describe('key-value', () => {
      it('returns undefined for a missing key', async () => {
        expect(await store.get('missing')).toBeUndefined()
      })

      it('stores, overwrites and returns values exactly', async () => {
        expect(await store.set('k', 'v1')).toBe(true)
        expect(await store.get('k')).toBe('v1')
        expect(await store.set('k', 'v2')).toBe(true)
        expect(await store.get('k')).toBe('v2')
        const values = ['', ' ', '0', 'null', '日本語 😀 e\u0301', 'a\u0000b\n', 'x'.repeat(65_536)]
        for (const [i, value] of values.entries()) {
          expect(await store.set(`value:${i}`, value)).toBe(true)
        }
        for (const [i, value] of values.entries()) {
          expect(await store.get(`value:${i}`)).toBe(value)
        }
      })

      it('forgets an entry after its TTL', async () => {
        await store.set('temp', 'v', { ttlMs: ttl })
        await store.set('kept', 'v')
        await sleep(ttl * 3)
        expect(await store.get('temp')).toBeUndefined()
        expect(await store.get('kept')).toBe('v')
        expect(await store.list('')).toEqual([{ key: 'kept', value: 'v' }])
        expect(await store.delete('temp')).toBe(false)
      })

      it('replaces the TTL on overwrite', async () => {
        await store.set('a', '1', { ttlMs: ttl })
        await store.set('a', '2')
        await store.set('b', '1')
        await store.set('b', '2', { ttlMs: ttl })
        await store.set('c', '1', { ttlMs: ttl })
        await store.set('c', '2', { ttlMs: 60_000 })
        await sleep(ttl * 3)
        expect(await store.get('a')).toBe('2')
        expect(await store.get('b')).toBeUndefined()
        expect(await store.get('c')).toBe('2')
      })

      it('writes with ifAbsent only when no live entry exists', async () => {
        expect(await store.set('once', 'first', { ifAbsent: true })).toBe(true)
        expect(await store.set('once', 'second', { ifAbsent: true })).toBe(false)
        expect(await store.get('once')).toBe('first')
        expect(await store.set('once', 'third', { ifAbsent: false })).toBe(true)
        expect(await store.get('once')).toBe('third')

        expect(await store.set('expiring', 'old', { ttlMs: ttl, ifAbsent: true })).toBe(true)
        await sleep(ttl * 3)
        expect(await store.set('expiring', 'new', { ifAbsent: true })).toBe(true)
        expect(await store.get('expiring')).toBe('new')
        await sleep(ttl * 2)
        expect(await store.get('expiring')).toBe('new')
      })

      it('lets exactly one of many concurrent ifAbsent writers win', async () => {
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            store.set('race', `writer-${i}`, { ifAbsent: true, ttlMs: 60_000 }),
          ),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        expect(await store.get('race')).toBe(`writer-${results.indexOf(true)}`)
      })

      it('deletes entries and says whether a live one was there', async () => {
        await store.set('d', 'v')
        expect(await store.delete('d')).toBe(true)
        expect(await store.get('d')).toBeUndefined()
        expect(await store.delete('d')).toBe(false)
        expect(await store.delete('never')).toBe(false)
        expect(await store.set('d', 'again', { ifAbsent: true })).toBe(true)
      })

      it('lists live entries under a prefix in key order, up to a limit', async () => {
        for (const key of ['user:3', 'user:1', 'users:1', 'user:2', 'use', 'admin:1', 'user:10']) {
          await store.set(key, `v-${key}`)
        }
        await store.set('user:0', 'expiring', { ttlMs: ttl })
        await sleep(ttl * 3)
        expect(await store.list('user:')).toEqual([
          { key: 'user:1', value: 'v-user:1' },
          { key: 'user:10', value: 'v-user:10' },
          { key: 'user:2', value: 'v-user:2' },
          { key: 'user:3', value: 'v-user:3' },
        ])
        expect(await store.list('user:', { limit: 2 })).toEqual([
          { key: 'user:1', value: 'v-user:1' },
          { key: 'user:10', value: 'v-user:10' },
        ])
        expect((await store.list('user')).map((e) => e.key)).toEqual([
          'user:1',
          'user:10',
          'user:2',
          'user:3',
          'users:1',
        ])
        expect((await store.list('')).map((e) => e.key)).toEqual([
          'admin:1',
          'use',
          'user:1',
          'user:10',
          'user:2',
          'user:3',
          'users:1',
        ])
        expect(await store.list('nothing:')).toEqual([])
        expect(await store.list('user:1', { limit: 1 })).toEqual([
          { key: 'user:1', value: 'v-user:1' },
        ])
      })

      it('counts only live entries towards the list limit', async () => {
        for (let i = 0; i < 10; i++) {
          await store.set(`e:${i}`, String(i), i % 2 === 0 ? { ttlMs: ttl } : undefined)
        }
        await sleep(ttl * 3)
        expect(await store.list('e:', { limit: 3 })).toEqual([
          { key: 'e:1', value: '1' },
          { key: 'e:3', value: '3' },
          { key: 'e:5', value: '5' },
        ])
      })

      it('returns at most 1,000 entries by default', async () => {
        await Promise.all(
          Array.from({ length: 1005 }, (_, i) =>
            store.set(`bulk:${String(i).padStart(4, '0')}`, 'v'),
          ),
        )
        const all = await store.list('bulk:')
        expect(all).toHaveLength(1000)
        expect(all[0]!.key).toBe('bulk:0000')
        expect(all[999]!.key).toBe('bulk:0999')
        expect(await store.list('bulk:', { limit: 2000 })).toHaveLength(1005)
      })

      it('orders keys by code point, not by UTF-16 unit', async () => {
        const keys = ['k😀', 'k\uffff', 'kZ', 'k\u00e9', 'ka', 'k', 'k\u0000', 'k\ud7ff']
        for (const key of keys) {
          await store.set(key, key)
        }
        const listed = (await store.list('k')).map((e) => e.key)
        expect(listed).toEqual(['k', 'k\u0000', 'kZ', 'ka', 'k\u00e9', 'k\ud7ff', 'k\uffff', 'k😀'])
        expect(listed).toEqual([...keys].sort(compareCodePoints))
        expect((await store.list('k\uffff')).map((e) => e.key)).toEqual(['k\uffff'])
        expect((await store.list('k😀')).map((e) => e.key)).toEqual(['k😀'])
      })
    })

    describe('keys with odd characters', () => {
      it('keeps every odd key distinct and exact', async () => {
        expect(new Set(ODD_KEYS).size).toBe(ODD_KEYS.length)
        for (const [i, key] of ODD_KEYS.entries()) {
          expect(await store.set(key, `value-${i}`)).toBe(true)
        }
        for (const [i, key] of ODD_KEYS.entries()) {
          expect(await store.get(key), JSON.stringify(key)).toBe(`value-${i}`)
        }
        const listed = await store.list('')
        expect(listed.map((e) => e.key)).toEqual([...ODD_KEYS].sort(compareCodePoints))
        for (const entry of listed) {
          expect(entry.value).toBe(`value-${ODD_KEYS.indexOf(entry.key)}`)
        }
        // Nothing leaked onto Object.prototype through a '__proto__' key.
        expect(Object.keys(Object.prototype)).toEqual([])
        expect(Object.getPrototypeOf({})).toBe(Object.prototype)
      })

      it('consumes and counts odd keys independently', async () => {
        for (const key of ODD_KEYS) {
          expect(await store.consumeOnce(key, 60_000), JSON.stringify(key)).toBe(true)
        }
        for (const key of ODD_KEYS) {
          expect(await store.consumeOnce(key, 60_000), JSON.stringify(key)).toBe(false)
        }
        for (const key of ODD_KEYS) {
          const result = await store.hit(key, { limit: 2, windowMs: 60_000 })
          expect(result.remaining, JSON.stringify(key)).toBe(1)
        }
      })

      it('matches list prefixes literally, never as patterns', async () => {
        for (const key of ODD_KEYS) {
          await store.set(key, 'v')
        }
        const expectPrefix = async (prefix: string) => {
          const expected = ODD_KEYS.filter((k) => k.startsWith(prefix)).sort(compareCodePoints)
          expect(
            (await store.list(prefix)).map((e) => e.key),
            JSON.stringify(prefix),
          ).toEqual(expected)
        }
        for (const prefix of ['*', 'a*', '?', 'a?', '[', '[a', ']', '^', '\\', '%', '_', 'a%']) {
          await expectPrefix(prefix)
        }
        for (const prefix of ['a}', '{', '{a', '}', 'a:', "'", 'a\u0000', '__proto__', '😀', 'e']) {
          await expectPrefix(prefix)
        }
      })

      it('deletes one odd key without touching its neighbours', async () => {
        for (const key of ODD_KEYS) {
          await store.set(key, 'v')
        }
        for (const key of ['a}', '*', '__proto__', '{a}', 'a\u0000b']) {
          expect(await store.delete(key)).toBe(true)
        }
        const left = (await store.list('')).map((e) => e.key)
        expect(left).toHaveLength(ODD_KEYS.length - 5)
        expect(left).toContain('a}:1')
        expect(left).toContain('a')
        expect(left).toContain('a*')
        expect(left).toContain('constructor')
      })
    })

    describe('window counter', () => {
      it('allows up to the limit and then refuses', async () => {
        const options = { limit: 3, windowMs: 60_000 }
        for (const remaining of [2, 1, 0]) {
          const result = await store.hit('client', options)
          expect(result.allowed).toBe(true)
          expect(result.remaining).toBe(remaining)
          expectSaneHit(result, 3, 60_000)
        }
        for (let i = 0; i < 3; i++) {
          const result = await store.hit('client', options)
          expect(result.allowed).toBe(false)
          expect(result.remaining).toBe(0)
          expectSaneHit(result, 3, 60_000)
        }
        expect((await store.hit('other-client', options)).remaining).toBe(2)
      })

      it('counts cost and never counts a refused hit', async () => {
        const hit = (cost: number) => store.hit('costly', { limit: 10, windowMs: 60_000, cost })
        expect(await hit(4)).toMatchObject({ allowed: true, remaining: 6 })
        expect(await hit(4)).toMatchObject({ allowed: true, remaining: 2 })
        for (let i = 0; i < 5; i++) {
          expect(await hit(3)).toMatchObject({ allowed: false, remaining: 2 })
        }
        expect(await hit(2)).toMatchObject({ allowed: true, remaining: 0 })
        expect(await hit(1)).toMatchObject({ allowed: false, remaining: 0 })
      })

      it('allows exactly the limit among many concurrent hits', async () => {
        const results = await Promise.all(
          Array.from({ length: 200 }, () => store.hit('burst', { limit: 50, windowMs: 600_000 })),
        )
        expect(results.filter((r) => r.allowed)).toHaveLength(50)
        for (const result of results) {
          expectSaneHit(result, 50, 600_000)
        }
      })

      it('lets a refused caller through after retryAfterMs', async () => {
        const options = { limit: 2, windowMs: ttl * 2 }
        // Hit until refused (a stalled event loop may let the window slide in between).
        let refused = await store.hit('slide', options)
        for (let i = 0; i < 20 && refused.allowed; i++) {
          refused = await store.hit('slide', options)
        }
        expect(refused.allowed).toBe(false)
        expectSaneHit(refused, 2, options.windowMs)
        await sleep(refused.retryAfterMs + 20)
        const later = await store.hit('slide', options)
        expect(later.allowed).toBe(true)
        expectSaneHit(later, 2, options.windowMs)
      })

      it('slides: old hits stop counting and the key resets after resetMs', async () => {
        const options = { limit: 3, windowMs: ttl * 2 }
        await store.hit('reset', options)
        await store.hit('reset', options)
        const last = await store.hit('reset', options)
        expect(last.allowed).toBe(true)
        expect(last.resetMs).toBeGreaterThan(0)
        expect(last.resetMs).toBeLessThanOrEqual(2 * options.windowMs)
        await sleep(last.resetMs + 20)
        const fresh = await store.hit('reset', options)
        expect(fresh).toMatchObject({ allowed: true, remaining: 2, retryAfterMs: 0 })
      })

      it('starts afresh when a key is hit with another windowMs', async () => {
        const long = { limit: 2, windowMs: 600_000 }
        const other = { limit: 2, windowMs: 300_000 }
        await store.hit('switch', long)
        expect((await store.hit('switch', long)).remaining).toBe(0)
        expect((await store.hit('switch', long)).allowed).toBe(false)
        expect(await store.hit('switch', other)).toMatchObject({ allowed: true, remaining: 1 })
        expect(await store.hit('switch', long)).toMatchObject({ allowed: true, remaining: 1 })
      })
    })

    describe('argument validation', () => {
      const rejects = async (fn: () => unknown, type: typeof TypeError | typeof RangeError) => {
        await expect(attempt(fn)).rejects.toBeInstanceOf(type)
      }
      const any = (value: unknown) => value as never

      it('rejects bad keys', async () => {
        for (const fn of [
          (key: never) => store.consumeOnce(key, 1000),
          (key: never) => store.get(key),
          (key: never) => store.set(key, 'v'),
          (key: never) => store.delete(key),
          (key: never) => store.hit(key, { limit: 1, windowMs: 1000 }),
        ]) {
          for (const key of [undefined, null, 42, {}, ['a'], Symbol('k')]) {
            await rejects(() => fn(any(key)), TypeError)
          }
          await rejects(() => fn(any('')), TypeError)
          await rejects(() => fn(any('\ud800')), TypeError)
          await rejects(() => fn(any('a\udc00b')), TypeError)
          await rejects(() => fn(any('k'.repeat(MAX_KEY_LENGTH + 1))), RangeError)
        }
        await rejects(() => store.list(any(1)), TypeError)
        await rejects(() => store.list(any('\ud800')), TypeError)
        await rejects(() => store.list('k'.repeat(MAX_KEY_LENGTH + 1)), RangeError)
      })

      it('rejects bad TTLs, values and options', async () => {
        for (const ttlMs of ['1000', null, 10n]) {
          await rejects(() => store.consumeOnce('k', any(ttlMs)), TypeError)
          await rejects(() => store.set('k', 'v', { ttlMs: any(ttlMs) }), TypeError)
        }
        for (const ttlMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
          await rejects(() => store.consumeOnce('k', ttlMs), RangeError)
          await rejects(() => store.set('k', 'v', { ttlMs }), RangeError)
        }
        await rejects(() => store.consumeOnce('k', any(undefined)), TypeError)
        for (const value of [undefined, null, 42, {}, Buffer.from('v')]) {
          await rejects(() => store.set('k', any(value)), TypeError)
        }
        await rejects(() => store.set('k', 'v', any(null)), TypeError)
        await rejects(() => store.set('k', 'v', any('ttl')), TypeError)
        await rejects(() => store.set('k', 'v', { ifAbsent: any('yes') }), TypeError)
        await rejects(() => store.list('', any(null)), TypeError)
        await rejects(() => store.list('', { limit: any('5') }), TypeError)
        for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await rejects(() => store.list('', { limit }), RangeError)
        }
      })

      it('rejects bad hit options', async () => {
        await rejects(() => store.hit('k', any(undefined)), TypeError)
        await rejects(() => store.hit('k', any(null)), TypeError)
        await rejects(() => store.hit('k', any(5)), TypeError)
        await rejects(() => store.hit('k', any({ windowMs: 1000 })), TypeError)
        await rejects(() => store.hit('k', any({ limit: 1 })), TypeError)
        await rejects(() => store.hit('k', { limit: any('5'), windowMs: 1000 }), TypeError)
        await rejects(() => store.hit('k', { limit: 5, windowMs: 1000, cost: any('1') }), TypeError)
        for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await rejects(() => store.hit('k', { limit: bad, windowMs: 1000 }), RangeError)
          await rejects(() => store.hit('k', { limit: 5, windowMs: bad }), RangeError)
          await rejects(() => store.hit('k', { limit: 5, windowMs: 1000, cost: bad }), RangeError)
        }
        await rejects(() => store.hit('k', { limit: 5, windowMs: 1000, cost: 6 }), RangeError)
      })

      it('leaves no trace of a rejected call', async () => {
        await rejects(() => store.set('trace', any(42)), TypeError)
        await rejects(() => store.consumeOnce('trace', 0), RangeError)
        await rejects(() => store.hit('trace', { limit: 1, windowMs: 1000, cost: 2 }), RangeError)
        expect(await store.get('trace')).toBeUndefined()
        expect(await store.consumeOnce('trace', 60_000)).toBe(true)
        expect(await store.hit('trace', { limit: 1, windowMs: 60_000 })).toMatchObject({
          allowed: true,
          remaining: 0,
        })
      })
    })

    describe('close', () => {
      it('ping() answers while the store is open', async () => {
        expect(typeof store.ping).toBe('function')
        await expect(store.ping?.()).resolves.toBeUndefined()
      })

      it('makes every later call reject with store_unavailable, and is idempotent', async () => {
        await store.set('k', 'v')
        await store.close()
        await store.close()
        const calls: Array<() => Promise<unknown>> = [
          () => store.consumeOnce('k', 1000),
          () => store.get('k'),
          () => store.set('k', 'v'),
          () => store.delete('k'),
          () => store.list(''),
          () => store.hit('k', { limit: 1, windowMs: 1000 }),
          () => (store.ping as () => Promise<void>)(),
        ]
        for (const call of calls) {
          const error = await call().then(
            () => undefined,
            (e: unknown) => e,
          )
          expect(error).toBeInstanceOf(Error)
          expect((error as { code?: unknown }).code).toBe('store_unavailable')
          expect((error as Error).name).toBe('StoreError')
        }
      })
    })
  })
}
