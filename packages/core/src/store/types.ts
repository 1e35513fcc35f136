/**
 * Store interfaces: small atomic operations that every adapter (memory here; SQLite and Redis
 * in `@countersign/store`) implements with the same semantics, proven by one contract suite.
 * A store that cannot answer throws a {@link StoreError} (`store_unavailable`, 503) and callers
 * fail closed.
 *
 * @module
 */

/** Single use: the first call for a key within its TTL returns `true`, every other call `false`. */
export interface ConsumeOnceStore {
  consumeOnce(key: string, ttlMs: number): Promise<boolean>
}

/** Options for {@link KeyValueStore.set}. */
export interface SetOptions {
  /** Time to live in milliseconds; the entry is gone after it. Omit to keep it until deleted. */
  ttlMs?: number
  /** Write only if no live entry exists; `set` then returns `false` if one did. */
  ifAbsent?: boolean
}

/** A key-value store with expiry. Values are strings (callers serialise). */
export interface KeyValueStore {
  /** The live value, or `undefined` if absent or expired. */
  get(key: string): Promise<string | undefined>
  /** Writes a value. Returns `false` only when `ifAbsent` was set and a live entry existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>
  /** Deletes an entry. Returns whether a live entry was deleted. */
  delete(key: string): Promise<boolean>
  /** Live entries whose key starts with `prefix`, in key order, at most `limit` (default 1000). */
  list(prefix: string, options?: { limit?: number }): Promise<Array<{ key: string; value: string }>>
}

/** Options for one rate-limit hit. */
export interface HitOptions {
  /** The most hits allowed in any window of `windowMs`. */
  limit: number
  /** The sliding window length in milliseconds. */
  windowMs: number
  /** How many hits this call counts for. Default 1. */
  cost?: number
}

/** The outcome of a rate-limit hit. A refused hit is not counted. */
export interface HitResult {
  allowed: boolean
  limit: number
  /** Hits left in the current window after this one. */
  remaining: number
  /** Milliseconds until a refused caller may try again (0 when allowed). */
  retryAfterMs: number
  /** Milliseconds until the window fully resets. */
  resetMs: number
}

/** A sliding-window counter for rate limits. */
export interface WindowCounterStore {
  hit(key: string, options: HitOptions): Promise<HitResult>
}

/** A store with every capability, as the adapters provide. */
export interface Store extends ConsumeOnceStore, KeyValueStore, WindowCounterStore {
  /** Releases connections, timers and file handles. */
  close(): Promise<void>
  /**
   * A cheap round trip (SQLite: a trivial query; Redis: `PING`) for readiness checks. Rejects
   * with a `StoreError` while the store cannot answer. Optional: stores without it are checked
   * some other way.
   */
  ping?(): Promise<void>
}
