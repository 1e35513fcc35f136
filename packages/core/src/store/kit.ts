/**
 * `@countersign/core/store-kit`: the argument checks and sliding-window arithmetic behind core's
 * memory store, for store implementations. The SQLite and Redis stores of `@countersign/store`
 * use them, so every store accepts the same arguments, throws the same errors and computes the
 * same `hit` results. A store of your own (PostgreSQL, DynamoDB, …) that uses them too passes
 * the same contract.
 *
 * @example
 * ```ts
 * import { checkHit, checkKey, hitResult, isAllowed } from '@countersign/core/store-kit'
 *
 * async hit(key: string, options: HitOptions): Promise<HitResult> {
 *   checkKey(key)
 *   const checked = checkHit(options)
 *   // …read previous, current and elapsed for key…
 *   const allowed = isAllowed(previous, current, elapsed, checked)
 *   // …when allowed, store current + cost…
 *   return hitResult(previous, current, elapsed, allowed, checked)
 * }
 * ```
 *
 * @module
 */

import type { HitOptions, HitResult } from './types.ts'

/** The default `limit` of `list`. */
export const DEFAULT_LIST_LIMIT = 1000
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether `text` holds any UTF-16 surrogate (most keys hold none: no regex pass needed). */
function hasSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if ((text.charCodeAt(i) & 0xf800) === 0xd800) {
      return true
    }
  }
  return false
}

/** The longest key, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 1024

/**
 * Throws unless `key` is a string of at most {@link MAX_KEY_LENGTH} UTF-16 code units without
 * lone surrogates (they could not be stored exactly), and non-empty unless it is a prefix.
 */
export function checkKey(key: unknown, name = 'key'): asserts key is string {
  if (typeof key !== 'string') {
    throw new TypeError(`expected ${name} to be a string, got ${typeof key}`)
  }
  if (key.length === 0 && name === 'key') {
    throw new TypeError('expected key to be a non-empty string')
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new RangeError(`expected ${name} to be at most ${MAX_KEY_LENGTH} characters`)
  }
  if (hasSurrogate(key) && LONE_SURROGATE.test(key)) {
    throw new TypeError(`expected ${name} to be well-formed Unicode (no lone surrogates)`)
  }
}

/**
 * Throws unless `value` is a string. SQLite and Redis store UTF-8, so a lone surrogate would
 * come back as U+FFFD: such a value is refused rather than silently changed.
 */
export function checkValue(value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new TypeError(`expected value to be a string, got ${typeof value}`)
  }
  if (hasSurrogate(value) && LONE_SURROGATE.test(value)) {
    throw new TypeError('expected value to be well-formed Unicode (no lone surrogates)')
  }
}

/** Throws unless `value` is a positive safe integer. */
export function checkPositiveInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`expected ${name} to be a number, got ${typeof value}`)
  }
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`expected ${name} to be a positive integer`)
  }
}

/** Throws unless `value` is `undefined` or an object. */
export function checkOptionsObject(
  value: unknown,
  name: string,
): asserts value is object | undefined {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new TypeError(`expected ${name} to be an object`)
  }
}

/** Checks the options of `set` and returns them normalised. */
export function checkSetOptions(options: unknown): {
  ttlMs: number | undefined
  ifAbsent: boolean
} {
  checkOptionsObject(options, 'options')
  const { ttlMs, ifAbsent } = (options ?? {}) as { ttlMs?: unknown; ifAbsent?: unknown }
  if (ttlMs !== undefined) {
    checkPositiveInteger(ttlMs, 'ttlMs')
  }
  if (ifAbsent !== undefined && typeof ifAbsent !== 'boolean') {
    throw new TypeError('expected ifAbsent to be a boolean')
  }
  return { ttlMs: ttlMs as number | undefined, ifAbsent: ifAbsent === true }
}

/** Checks the arguments of `list` and returns the limit. */
export function checkList(prefix: unknown, options: unknown): number {
  checkKey(prefix, 'prefix')
  checkOptionsObject(options, 'options')
  const limit = (options as { limit?: unknown } | undefined)?.limit ?? DEFAULT_LIST_LIMIT
  checkPositiveInteger(limit, 'limit')
  return limit
}

/** Checks the options of `hit` and returns them with the default cost. */
export function checkHit(options: unknown): Required<HitOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('expected options to be an object')
  }
  const { limit, windowMs } = options as HitOptions
  const cost = (options as HitOptions).cost ?? 1
  checkPositiveInteger(limit, 'limit')
  checkPositiveInteger(windowMs, 'windowMs')
  checkPositiveInteger(cost, 'cost')
  if (cost > limit) {
    throw new RangeError('expected cost to be at most limit')
  }
  return { limit, windowMs, cost }
}

/** The clock reading every store uses: whole milliseconds. */
export function readClock(now: () => number): number {
  const value = now()
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError('the store clock returned a non-finite value')
  }
  return Math.floor(value)
}

/**
 * Whether a hit of `cost` is allowed, by the two-fixed-window weighted approximation of core's
 * memory store: `previous * (windowMs - elapsed) / windowMs + current + cost <= limit`, compared
 * scaled by `windowMs` in exactly this order of operations. The Redis Lua script repeats the same
 * expression, so every store decides alike.
 */
export function isAllowed(
  previous: number,
  current: number,
  elapsed: number,
  options: Required<HitOptions>,
): boolean {
  const { limit, windowMs, cost } = options
  const usedScaled = previous * (windowMs - elapsed) + current * windowMs
  return usedScaled + cost * windowMs <= limit * windowMs
}

/**
 * The {@link HitResult} of a hit, exactly as core's memory store computes it. `previous` and
 * `current` are the two fixed windows' counts before the hit; `elapsed` is how far into the
 * current window it fell.
 */
export function hitResult(
  previous: number,
  current: number,
  elapsed: number,
  allowed: boolean,
  options: Required<HitOptions>,
): HitResult {
  const { limit, windowMs, cost } = options
  let retryAfterMs = 0
  if (allowed) {
    current += cost
  } else if (current + cost <= limit) {
    // previous > 0 here, or the hit would have been allowed.
    const slack = Math.floor(((limit - current - cost) * windowMs) / previous)
    retryAfterMs = windowMs - slack - elapsed
  } else {
    // current > 0 here, since current > limit - cost >= 0.
    const slack = Math.floor(((limit - cost) * windowMs) / current)
    retryAfterMs = windowMs - elapsed + Math.max(0, windowMs - slack)
  }
  const usedAfter = previous * (windowMs - elapsed) + current * windowMs
  const remaining = Math.max(0, Math.floor((limit * windowMs - usedAfter) / windowMs))
  const resetMs = current > 0 ? 2 * windowMs - elapsed : previous > 0 ? windowMs - elapsed : 0
  return { allowed, limit, remaining, retryAfterMs, resetMs }
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code point order
 * (which is UTF-8 byte order), or `undefined` when there is none.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix)
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1
      return points.join('') + String.fromCodePoint(next)
    }
  }
  return undefined
}

/** Orders strings by code point (UTF-8 byte order), as SQLite and Redis compare them. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      // Surrogates (0xd800-0xdfff) encode code points above 0xffff: they sort after 0xe000-0xffff.
      const xs = x >= 0xd800 && x <= 0xdfff
      const ys = y >= 0xd800 && y <= 0xdfff
      if (xs !== ys) {
        return xs ? 1 : -1
      }
      return x - y
    }
  }
  return a.length - b.length
}
