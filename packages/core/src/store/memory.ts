/**
 * A bounded in-memory {@link Store} for tests and single-process deployments. It holds no
 * timers and no handles: expired entries are removed lazily, when read and by an amortised
 * sweep on writes, so an idle store never keeps the process alive.
 *
 * @module
 */
import { StoreError } from '../errors.ts'
import {
  checkHit,
  checkKey,
  checkList,
  checkPositiveInteger,
  checkSetOptions,
  compareCodePoints,
  hitResult,
  isAllowed,
} from './kit.ts'
import type { HitOptions, HitResult, SetOptions, Store } from './types.ts'

/** Options for {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most entries held at once, across nonces, values and rate-limit windows together.
   * Default 100,000. When the store is full after removing expired entries, a write that would
   * add an entry throws `StoreError('store_full')` (503): live nonces and values are never
   * evicted, because evicting a nonce would reopen a replay and evicting a value would lose data.
   */
  maxEntries?: number
  /** The clock, in milliseconds since the epoch (fractions are floored). Default `Date.now`; inject one in tests. */
  now?: () => number
}

const DEFAULT_MAX_ENTRIES = 100_000
/** A sweep runs once this many entries were added since the last one (or the store size, if larger). */
const SWEEP_MIN_WRITES = 1024

interface ValueEntry {
  value: string
  /** Epoch ms after which the entry is gone; `Infinity` for no TTL. Live while `now < expiresAt`. */
  expiresAt: number
}

interface WindowEntry {
  windowMs: number
  /** `floor(time / windowMs)` of the current fixed window. */
  index: number
  /** Hits counted in window `index - 1`. */
  previous: number
  /** Hits counted in window `index`. */
  current: number
  /** `(index + 2) * windowMs`: from then on both counts weigh nothing. */
  expiresAt: number
}

class MemoryStore implements Store {
  readonly #maxEntries: number
  readonly #clock: () => number
  readonly #nonces = new Map<string, number>()
  readonly #values = new Map<string, ValueEntry>()
  readonly #windows = new Map<string, WindowEntry>()
  /** A lower bound of every entry's `expiresAt`: no entry has expired while `now < #nextExpiry`. */
  #nextExpiry = Number.POSITIVE_INFINITY
  #addsSinceSweep = 0
  #closed = false

  constructor(options: MemoryStoreOptions) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    checkPositiveInteger(maxEntries, 'maxEntries')
    const clock = options.now ?? Date.now
    if (typeof clock !== 'function') {
      throw new TypeError('expected now to be a function')
    }
    this.#maxEntries = maxEntries
    this.#clock = clock
  }

  get #size(): number {
    return this.#nonces.size + this.#values.size + this.#windows.size
  }

  #now(): number {
    if (this.#closed) {
      throw new StoreError('store_unavailable', 'the memory store is closed', { retryable: false })
    }
    const now = this.#clock()
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new TypeError('the store clock returned a non-finite value')
    }
    return Math.floor(now)
  }

  #track(expiresAt: number): void {
    if (expiresAt < this.#nextExpiry) {
      this.#nextExpiry = expiresAt
    }
  }

  /** Removes every expired entry and recomputes the next expiry. O(size). */
  #sweep(now: number): void {
    let next = Number.POSITIVE_INFINITY
    for (const [key, expiresAt] of this.#nonces) {
      if (expiresAt <= now) {
        this.#nonces.delete(key)
      } else if (expiresAt < next) {
        next = expiresAt
      }
    }
    for (const [key, entry] of this.#values) {
      if (entry.expiresAt <= now) {
        this.#values.delete(key)
      } else if (entry.expiresAt < next) {
        next = entry.expiresAt
      }
    }
    for (const [key, entry] of this.#windows) {
      if (entry.expiresAt <= now) {
        this.#windows.delete(key)
      } else if (entry.expiresAt < next) {
        next = entry.expiresAt
      }
    }
    this.#nextExpiry = next
    this.#addsSinceSweep = 0
  }

  /**
   * Makes room for one new entry, or throws `store_full`. Sweeps every `max(1024, size)` adds
   * (amortised O(1)), and when full; skips the sweep whenever nothing can have expired, so a
   * full store refuses in O(1) instead of rescanning on every attempt.
   */
  #reserve(now: number): void {
    this.#addsSinceSweep++
    const canFree = now >= this.#nextExpiry
    if (canFree && this.#addsSinceSweep >= Math.max(SWEEP_MIN_WRITES, this.#size)) {
      this.#sweep(now)
    }
    if (this.#size >= this.#maxEntries) {
      if (canFree) {
        this.#sweep(now)
      }
      if (this.#size >= this.#maxEntries) {
        throw new StoreError('store_full', 'the memory store is full')
      }
    }
  }

  async consumeOnce(key: string, ttlMs: number): Promise<boolean> {
    checkKey(key)
    checkPositiveInteger(ttlMs, 'ttlMs')
    const now = this.#now()
    const existing = this.#nonces.get(key)
    if (existing !== undefined && existing > now) {
      return false
    }
    if (existing === undefined) {
      this.#reserve(now)
    }
    const expiresAt = now + ttlMs
    this.#nonces.set(key, expiresAt)
    this.#track(expiresAt)
    return true
  }

  async get(key: string): Promise<string | undefined> {
    checkKey(key)
    const now = this.#now()
    const entry = this.#values.get(key)
    if (entry === undefined) {
      return undefined
    }
    if (entry.expiresAt <= now) {
      this.#values.delete(key)
      return undefined
    }
    return entry.value
  }

  async set(key: string, value: string, options?: SetOptions): Promise<boolean> {
    checkKey(key)
    if (typeof value !== 'string') {
      // Unlike SQLite and Redis, memory keeps lone surrogates exactly: only the type is checked.
      throw new TypeError(`expected value to be a string, got ${typeof value}`)
    }
    const { ttlMs, ifAbsent } = checkSetOptions(options)
    const now = this.#now()
    const existing = this.#values.get(key)
    const live = existing !== undefined && existing.expiresAt > now
    if (ifAbsent === true && live) {
      return false
    }
    if (existing === undefined) {
      this.#reserve(now)
    }
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs
    this.#values.set(key, { value, expiresAt })
    this.#track(expiresAt)
    return true
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key)
    const now = this.#now()
    const entry = this.#values.get(key)
    if (entry === undefined) {
      return false
    }
    this.#values.delete(key)
    return entry.expiresAt > now
  }

  async list(
    prefix: string,
    options?: { limit?: number },
  ): Promise<Array<{ key: string; value: string }>> {
    const limit = checkList(prefix, options)
    const now = this.#now()
    const found: Array<{ key: string; value: string }> = []
    for (const [key, entry] of this.#values) {
      if (entry.expiresAt <= now) {
        this.#values.delete(key)
      } else if (key.startsWith(prefix)) {
        found.push({ key, value: entry.value })
      }
    }
    found.sort((a, b) => compareCodePoints(a.key, b.key))
    if (found.length > limit) {
      found.length = limit
    }
    return found
  }

  /**
   * Sliding-window rate limiting by the two-fixed-window weighted approximation (the same
   * algorithm the SQLite and Redis adapters implement, so results agree across stores).
   *
   * Time is cut into fixed windows of `windowMs`; window `i` is `[i * windowMs, (i + 1) * windowMs)`.
   * Per key the store keeps the hits counted in the current window (`current`) and in the one
   * before (`previous`). At time `now`, with `elapsed = now - i * windowMs`, the hits in the
   * sliding window ending now are estimated as
   *
   * `used = previous * (windowMs - elapsed) / windowMs + current`
   *
   * (assuming the previous window's hits were spread evenly). A hit of `cost` is allowed when
   * `used + cost <= limit`, and only then counted (`current += cost`); a refused hit changes
   * nothing. The comparison is done in integers, scaled by `windowMs`.
   *
   * - `remaining` = `floor(limit - used')`, where `used'` includes this hit if it was allowed.
   * - `retryAfterMs` (refused hits): the least whole number of milliseconds after which the same
   *   hit would be allowed if nothing else is counted meanwhile. If `current + cost <= limit`
   *   this is when `previous`'s weight has decayed enough within this window; otherwise it is
   *   the start of the next window (where `current` becomes `previous`) plus the time for that
   *   weight to decay.
   * - `resetMs`: when `used` reaches zero: `2 * windowMs - elapsed` if `current > 0`, else
   *   `windowMs - elapsed` if `previous > 0`, else 0.
   *
   * The state of a key belongs to one `windowMs`: hitting it with another `windowMs` starts
   * afresh. `cost` greater than `limit` could never pass and throws `RangeError`.
   */
  async hit(key: string, options: HitOptions): Promise<HitResult> {
    checkKey(key)
    const checked = checkHit(options)
    const { windowMs, cost } = checked
    const now = this.#now()

    let entry = this.#windows.get(key)
    if (entry !== undefined && (entry.windowMs !== windowMs || entry.expiresAt <= now)) {
      entry.windowMs = windowMs
      entry.index = Number.NEGATIVE_INFINITY
      entry.previous = 0
      entry.current = 0
    }
    let index = Math.floor(now / windowMs)
    let previous = 0
    let current = 0
    if (entry !== undefined) {
      if (entry.index > index) {
        // The clock went backwards: keep counting in the window already recorded.
        index = entry.index
      }
      if (entry.index === index) {
        previous = entry.previous
        current = entry.current
      } else if (entry.index === index - 1) {
        previous = entry.current
      }
    }
    const elapsed = Math.min(Math.max(now - index * windowMs, 0), windowMs - 1)
    const allowed = isAllowed(previous, current, elapsed, checked)
    if (allowed) {
      if (entry === undefined) {
        this.#reserve(now)
        entry = { windowMs, index, previous, current: 0, expiresAt: 0 }
        this.#windows.set(key, entry)
      }
      entry.index = index
      entry.previous = previous
      entry.current = current + cost
      entry.expiresAt = (index + 2) * windowMs
      this.#track(entry.expiresAt)
    }
    return hitResult(previous, current, elapsed, allowed, checked)
  }

  async ping(): Promise<void> {
    this.#now()
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#nonces.clear()
    this.#values.clear()
    this.#windows.clear()
    this.#nextExpiry = Number.POSITIVE_INFINITY
  }
}

/**
 * Creates a bounded in-memory store: single-use keys (`ConsumeOnceStore`), values with
 * expiry (`KeyValueStore`) and sliding-window rate limits (`WindowCounterStore`),
 * for tests and single-process servers. State is lost on restart and not shared between
 * processes; use `@countersign/store` (SQLite, Redis) for that.
 *
 * Semantics, shared with every adapter:
 *
 * - Nonces, values and rate-limit windows are separate key spaces.
 * - Keys are non-empty, well-formed Unicode strings of at most 1024 UTF-16 code units;
 *   `ttlMs`, `limit`, `windowMs`, `cost` and `maxEntries` are positive integers. A bad argument
 *   rejects with `TypeError` or `RangeError`.
 * - An entry with a TTL is live while `now < written + ttlMs`.
 * - `list` returns live values in Unicode code point order of their keys (UTF-8 byte order).
 * - Every operation is atomic: 1,000 concurrent `consumeOnce` calls on one key give exactly one
 *   `true`.
 * - Bounded by `maxEntries` (see {@link MemoryStoreOptions}); it never evicts a live entry.
 * - After `close()`, every call rejects with `StoreError('store_unavailable')`.
 *
 * `maxEntries` bounds the number of entries, not their size: callers bound the length of the
 * values they store.
 *
 * @example
 * ```ts
 * const store = createMemoryStore({ maxEntries: 10_000 })
 * await store.consumeOnce(`nonce:${keyId}:${nonce}`, 300_000) // true, then false
 * const { allowed, retryAfterMs } = await store.hit(`ip:${ip}`, { limit: 60, windowMs: 60_000 })
 * ```
 *
 * @throws `TypeError` or `RangeError` when an option is invalid.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('expected options to be an object')
  }
  return new MemoryStore(options)
}
