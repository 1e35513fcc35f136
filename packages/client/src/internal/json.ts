/**
 * JSON checks and body parsing.
 *
 * @internal
 * @module
 */

const MAX_DEPTH = 256
/** The smallest normal double; core's strict parser refuses nonzero numbers below it. */
const MIN_NORMAL = 2.2250738585072014e-308

function describe(value: unknown): string {
  if (typeof value === 'bigint') {
    return 'a BigInt'
  }
  if (typeof value === 'function') {
    return 'a function'
  }
  if (typeof value === 'symbol') {
    return 'a symbol'
  }
  if (typeof value === 'undefined') {
    return 'undefined'
  }
  if (typeof value === 'number') {
    return String(value)
  }
  const name = (value as object).constructor?.name
  return typeof name === 'string' && name.length > 0 && name.length < 64 ? `a ${name}` : 'an object'
}

function fail(path: string, value: unknown, what = 'JSON cannot represent it'): never {
  throw new TypeError(`${path} is ${describe(value)}; ${what}`)
}

function walk(value: unknown, path: string, seen: Set<object>, depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) {
        fail(path, value)
      }
      if (
        Math.abs(value) > Number.MAX_SAFE_INTEGER ||
        (value !== 0 && Math.abs(value) < MIN_NORMAL)
      ) {
        fail(path, value, 'outside the I-JSON range, it may change in transit')
      }
      return
    case 'object':
      break
    default:
      fail(path, value)
  }
  if (value === null || value instanceof Date) {
    if (value instanceof Date && Number.isNaN(value.getTime())) {
      throw new TypeError(`${path} is an invalid Date`)
    }
    return
  }
  if (depth > MAX_DEPTH) {
    throw new TypeError(`${path} is nested more than ${MAX_DEPTH} levels deep`)
  }
  if (seen.has(value)) {
    throw new TypeError(`${path} refers back to itself (a cycle); JSON cannot represent it`)
  }
  seen.add(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      walk(value[i], `${path}[${i}]`, seen, depth + 1)
    }
  } else {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      fail(
        path,
        value,
        'send plain objects and arrays only (HTML forms, files and binary are not supported)',
      )
    }
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key]
      if (item !== undefined) {
        walk(item, `${path}.${key.length <= 64 ? key : `${key.slice(0, 64)}…`}`, seen, depth + 1)
      }
    }
  }
  seen.delete(value)
}

/**
 * Throws a `TypeError` naming the first part of `value` that is not JSON: a function, symbol,
 * BigInt, non-finite number, a number the relay's I-JSON parser refuses (magnitude above
 * 2^53 − 1, or nonzero below 2.2250738585072014e-308), cycle, or an object that is not plain
 * (FormData, Blob, Map, …).
 * `undefined` members of objects are allowed (JSON drops them); a `Date` becomes its ISO string.
 */
export function assertJson(value: unknown, path: string): void {
  walk(value, path, new Set(), 0)
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i

/** Whether a `Content-Type` is JSON (`application/json` or `application/*+json`). */
export function isJsonType(contentType: string | null): boolean {
  return contentType !== null && JSON_TYPE.test(contentType.split(';')[0]?.trim() ?? '')
}

/** Thrown inside {@link reviveExact} to abandon a parse. */
const CHANGED = new Error('a number would change')

/**
 * A `JSON.parse` reviver that throws when a number would come out changed, by the rules of
 * core's `parseJsonStrict` (I-JSON): a magnitude above 2^53 − 1 (or Infinity) everywhere; where
 * the engine passes the literal's source (ES2025 `JSON.parse` source text access), also more
 * than 17 significant digits, or a nonzero literal below the smallest normal double. (The full
 * parser from core would cost the browser bundle about 2.4 KiB gzipped.)
 */
function reviveExact(_key: string, value: unknown, context?: { source?: unknown }): unknown {
  if (typeof value !== 'number') {
    return value
  }
  const magnitude = Math.abs(value)
  if (!(magnitude <= Number.MAX_SAFE_INTEGER)) {
    throw CHANGED
  }
  const source = context?.source
  if (typeof source === 'string') {
    const digits = (source.split(/[eE]/)[0] ?? '').replace(/[-.]/g, '').replace(/^0+|0+$/g, '')
    if (digits.length > 17 || (digits.length > 0 && magnitude < MIN_NORMAL)) {
      throw CHANGED
    }
  } else if (value !== 0 && magnitude < MIN_NORMAL) {
    throw CHANGED
  }
  return value
}

/**
 * A body as the client returns it: parsed JSON for a JSON type, else text; `null` when empty.
 * JSON holding a number that parsing would change (see {@link reviveExact}) comes back as the
 * text itself, as invalid JSON does, never as a changed value.
 */
export function parseBody(text: string, contentType: string | null): unknown {
  if (text.length === 0) {
    return null
  }
  if (isJsonType(contentType)) {
    try {
      return JSON.parse(text, reviveExact)
    } catch {
      return text
    }
  }
  return text
}
