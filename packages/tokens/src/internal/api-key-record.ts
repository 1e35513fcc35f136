/**
 * The stored record of an API key, its validation and its public view.
 *
 * @module
 */
import { isJsonObject, type JsonObject } from '@countersign/core'
import type { ApiKeyInfo, CreateApiKeyInput, RateLimit } from '../api-key-types.ts'
import { toStrictJson } from './json.ts'
import { parseRecord } from './store-guard.ts'

/** A key as stored under `cs:ak:id:<id>`. */
export interface KeyRecord {
  v: 1
  id: string
  name: string
  scopes: string[]
  createdAt: number
  updatedAt: number
  expiresAt: number | null
  meta: JsonObject | null
  rateLimit: RateLimit | null
  disabled: boolean
  /** Hash of the current key. */
  hash: string
  /** Hashes of rerolled keys still inside their grace period. */
  prev: Array<{ hash: string; until: number }>
  /** The sealed HMAC secret. */
  secret: string | null
  /** Bumped when the secret changes, for key caches. */
  sv: number
}

/** The longest reroll grace period: 30 days, in milliseconds. */
export const MAX_GRACE_PERIOD_MS = 30 * 86_400_000
/** Calls a rate limit may allow per window. */
export const RATE_LIMIT_RANGE = { min: 1, max: 1_000_000_000 } as const
/** Rate-limit window lengths, in milliseconds: 1 ms to 30 days. */
export const RATE_WINDOW_RANGE = { min: 1, max: 30 * 86_400_000 } as const
/** The latest `expiresAt`: 9999-12-31T23:59:59.999Z, in epoch milliseconds. */
export const MAX_EXPIRES_AT_MS = 253_402_300_799_999

export const ID_PATTERN = /^ak_[A-Za-z0-9_-]{22}$/
export const SCOPE_PATTERN = /^[\x21-\x7e]{1,128}$/
/** Store namespaces: records by id, id pointers by key hash, rate-limit windows by id. */
export const RECORD_NS = 'cs:ak:id:'
export const HASH_NS = 'cs:ak:h:'
export const RATE_NS = 'cs:ak:rl:'

/** A checked rate limit. @throws `TypeError`/`RangeError` naming `name`. */
export function checkRateLimit(value: unknown, name: string): RateLimit {
  if (!isJsonObject(value)) {
    throw new TypeError(`expected ${name} to be { limit, windowMs }`)
  }
  const extra = Object.keys(value).find((key) => key !== 'limit' && key !== 'windowMs')
  if (extra !== undefined) {
    throw new TypeError(
      `expected ${name} to have only limit and windowMs, got ${JSON.stringify(extra.slice(0, 64))}`,
    )
  }
  const { limit, windowMs } = value
  if (!inRange(limit, RATE_LIMIT_RANGE)) {
    throw new RangeError(
      `expected ${name}.limit to be an integer from ${RATE_LIMIT_RANGE.min} to ${RATE_LIMIT_RANGE.max}`,
    )
  }
  if (!inRange(windowMs, RATE_WINDOW_RANGE)) {
    throw new RangeError(
      `expected ${name}.windowMs to be an integer from ${RATE_WINDOW_RANGE.min} to ${RATE_WINDOW_RANGE.max} (30 days)`,
    )
  }
  return { limit, windowMs }
}

/** Whether `value` is an integer within `range`. */
export function inRange(value: unknown, range: { min: number; max: number }): value is number {
  return Number.isInteger(value) && (value as number) >= range.min && (value as number) <= range.max
}

/** The public view of a record. */
export function toInfo(record: KeyRecord): ApiKeyInfo {
  return {
    id: record.id,
    name: record.name,
    scopes: [...record.scopes],
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    expiresAt: record.expiresAt === null ? undefined : new Date(record.expiresAt),
    meta: record.meta ?? undefined,
    rateLimit: record.rateLimit ?? undefined,
    disabled: record.disabled,
    hasSecret: record.secret !== null,
  }
}

/** A stored record, or `undefined` for anything that is not one. */
export function parseKeyRecord(raw: string | undefined): KeyRecord | undefined {
  const record = parseRecord(raw)
  if (
    record === undefined ||
    record.v !== 1 ||
    typeof record.id !== 'string' ||
    typeof record.hash !== 'string'
  ) {
    return undefined
  }
  return record as unknown as KeyRecord
}

/** A scope option as a list. */
export function scopeList(scope: string | readonly string[] | undefined): readonly string[] {
  return scope === undefined ? [] : typeof scope === 'string' ? [scope] : scope
}

/** The settings of a new key, checked. */
export interface KeySettings {
  name: string
  scopes: string[]
  expiresAt: number | null
  meta: JsonObject | null
  rateLimit: RateLimit | null
  withSecret: boolean
}

function checkExpiresAt(expiresAt: Date | number | undefined): number | null {
  if (expiresAt === undefined) {
    return null
  }
  const expires = expiresAt instanceof Date ? expiresAt.getTime() : expiresAt
  if (typeof expires !== 'number' || !Number.isInteger(expires)) {
    throw new TypeError('expected expiresAt to be a valid Date or whole epoch milliseconds')
  }
  if (expires < 0 || expires > MAX_EXPIRES_AT_MS) {
    throw new RangeError('expected expiresAt to be from 1970 to the end of the year 9999')
  }
  return expires
}

/**
 * Checks the input of `createApiKey`.
 *
 * @throws `TypeError`/`RangeError` naming the bad member.
 */
export function keySettings(input: unknown, defaultRateLimit: RateLimit | undefined): KeySettings {
  if (!isJsonObject(input)) {
    throw new TypeError('expected input to be an object')
  }
  const {
    name,
    scopes = [],
    expiresAt,
    meta,
    rateLimit,
    withSecret,
  } = input as unknown as CreateApiKeyInput
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new TypeError('expected name to be a non-empty string of at most 200 characters')
  }
  if (
    !Array.isArray(scopes) ||
    scopes.length > 100 ||
    !scopes.every((s) => typeof s === 'string' && SCOPE_PATTERN.test(s))
  ) {
    throw new TypeError('expected scopes to be an array of at most 100 scope strings')
  }
  const expires = checkExpiresAt(expiresAt)
  let metaValue: JsonObject | null = null
  if (meta !== undefined) {
    if (!isJsonObject(meta)) {
      throw new TypeError('expected meta to be a plain object')
    }
    metaValue = toStrictJson(meta, 'meta', 4096).value as JsonObject
  }
  return {
    name,
    scopes: [...new Set(scopes as string[])],
    expiresAt: expires,
    meta: metaValue,
    rateLimit:
      rateLimit === undefined ? (defaultRateLimit ?? null) : checkRateLimit(rateLimit, 'rateLimit'),
    withSecret: withSecret === true,
  }
}
