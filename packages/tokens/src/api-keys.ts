/**
 * API keys in the style of Unkey: prefixed random keys shown once and stored only as a hash,
 * with scopes, expiry, metadata, per-key rate limits, disable/enable, reroll with a grace
 * period, and optional HMAC secrets for request signing (Icypeas key + secret, RFC 9421
 * `hmac-sha256`) sealed with AES-256-GCM under a master key.
 *
 * @module
 */
import {
  checkSecret,
  generateSecret,
  hashSecret,
  importKey,
  isJsonObject,
  type JsonObject,
  type Key,
  type KeyValueStore,
  type WindowCounterStore,
} from '@countersign/core'
import { toStrictJson } from './internal/json.ts'
import { randomId } from './internal/random.ts'
import { importMasterKey, type MasterKeyInput, seal, unseal } from './internal/seal.ts'
import { guard, parseRecord } from './internal/store-guard.ts'

/** The secret prefix of API keys. */
export const API_KEY_PREFIX = 'cs_ak'
/** The secret prefix of API key signing secrets. */
export const API_KEY_SECRET_PREFIX = 'cs_as'

/** The outcome codes of {@link ApiKeys.verifyApiKey}. */
export type ApiKeyCode =
  | 'VALID'
  | 'NOT_FOUND'
  | 'EXPIRED'
  | 'DISABLED'
  | 'RATE_LIMITED'
  | 'FORBIDDEN'

/**
 * A rate limit: at most `limit` calls (1 to 10^9) in any sliding window of `windowMs` (1 ms to
 * 30 days); no other members.
 */
export interface RateLimit {
  /** Calls allowed per window. */
  limit: number
  /** Window length in milliseconds. */
  windowMs: number
}

/** Options for {@link createApiKeys}. */
export interface ApiKeysOptions {
  /** Where key records live. Needs `get`/`set`/`delete`/`list` and `hit`. */
  store: KeyValueStore & WindowCounterStore
  /** 32-byte master key (raw or base64url) sealing HMAC secrets. Required for keys with a secret. */
  masterKey?: MasterKeyInput
  /** Rate limit for keys created without one. Default: none. */
  defaultRateLimit?: RateLimit
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
}

/** Input of {@link ApiKeys.createApiKey}. */
export interface CreateApiKeyInput {
  /** A human name (not secret), at most 200 characters. */
  name: string
  /** Permissions, e.g. `['tokens:generate']`. Default none. */
  scopes?: readonly string[]
  /** When the key stops working (epoch milliseconds, up to the end of the year 9999). Default: never. */
  expiresAt?: Date | number
  /** JSON metadata returned on verification (at most 4 KiB). */
  meta?: Record<string, unknown>
  /** Per-key rate limit. */
  rateLimit?: RateLimit
  /** Also create an HMAC signing secret (needs the master key). Default `false`. */
  withSecret?: boolean
}

/** A new (or rerolled) key. `key` and `secret` are shown only here: only a hash or a sealed copy is kept. */
export interface CreatedApiKey {
  /** The key id (`ak_…`), not secret: use it in admin calls, logs and as the RFC 9421 `keyid`. */
  id: string
  /** The API key, `cs_ak_…`. */
  key: string
  /** The HMAC signing secret, `cs_as_…`, when requested. */
  secret?: string
}

/** What is known about a key, never the key or its secret. */
export interface ApiKeyInfo {
  /** The key id. */
  id: string
  /** Its name. */
  name: string
  /** Its scopes. */
  scopes: string[]
  /** When it was created. */
  createdAt: Date
  /** When it was last changed. */
  updatedAt: Date
  /** When it expires, if ever. */
  expiresAt: Date | undefined
  /** Its metadata. */
  meta: JsonObject | undefined
  /** Its rate limit. */
  rateLimit: RateLimit | undefined
  /** Whether it is disabled. */
  disabled: boolean
  /** Whether it has an HMAC signing secret. */
  hasSecret: boolean
}

/** Options for {@link ApiKeys.verifyApiKey}. */
export interface VerifyApiKeyOptions {
  /** Scope(s) the key must have (all of them). */
  scope?: string | readonly string[]
  /** Whether to count the call against the key's rate limit. Default `true`. */
  rateLimit?: boolean
}

/** The outcome of {@link ApiKeys.verifyApiKey}. */
export interface VerifyApiKeyResult {
  /** `true` only with code `VALID`. */
  valid: boolean
  /** Why. */
  code: ApiKeyCode
  /** The key id, when the key exists. */
  id?: string
  /** The key's name, when it exists. */
  name?: string
  /** The key's scopes, when it exists. */
  scopes?: string[]
  /** The key's metadata, when it exists. */
  meta?: JsonObject
  /** Milliseconds until a rate-limited caller may retry (`RATE_LIMITED` only). */
  retryAfterMs?: number
  /** The rate-limit state after this call, when the key has a limit. */
  rateLimit?: RateLimitState
}

/** A key's rate-limit window after a call. */
export interface RateLimitState {
  /** Calls allowed per window. */
  limit: number
  /** Calls left in the current window. */
  remaining: number
  /** Milliseconds until the window fully resets. */
  resetMs: number
}

/** Options for {@link ApiKeys.reroll}. */
export interface RerollApiKeyOptions {
  /** How long the old key keeps working, 0 to 30 days in milliseconds. Default 0 (it stops at once). */
  gracePeriodMs?: number
  /** Also replace the HMAC secret (the old secret stops at once). Default `false`. */
  rerollSecret?: boolean
}

/** Options for the HMAC key resolvers. */
export interface ApiKeyResolverOptions {
  /** The HMAC algorithm of the returned keys. Default `hmac-sha256`; `hmac-sha1` for the Icypeas preset. */
  algorithm?: 'hmac-sha256' | 'hmac-sha1'
  /** Scope(s) the key must have. */
  scope?: string | readonly string[]
}

/** Resolves a key identifier to an HMAC verification key, or `undefined`. */
export type HmacKeyResolver = (keyId: string) => Promise<Key | undefined>

/** Manages API keys. Create with {@link createApiKeys}. */
export interface ApiKeys {
  /**
   * Creates a key. The returned `key` (and `secret`) are shown once.
   *
   * @throws `TypeError`/`RangeError` for invalid input, or `withSecret` without a master key.
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  createApiKey(input: CreateApiKeyInput): Promise<CreatedApiKey>
  /**
   * Checks a key, in this order, so that a refused call never spends the rate limit: format
   * (no lookup for garbage) → lookup → disabled → expired → scope → rate limit.
   *
   * @throws `StoreError` `store_unavailable` when the store fails (fail closed).
   */
  verifyApiKey(key: string, options?: VerifyApiKeyOptions): Promise<VerifyApiKeyResult>
  /** A key's details by id, or `undefined`. */
  get(id: string): Promise<ApiKeyInfo | undefined>
  /** Keys in id order, at most `limit` (default 1000). */
  list(options?: { limit?: number }): Promise<ApiKeyInfo[]>
  /** Disables a key (verification answers `DISABLED`). Returns whether it exists. */
  disable(id: string): Promise<boolean>
  /** Enables a disabled key. Returns whether it exists. */
  enable(id: string): Promise<boolean>
  /** Deletes a key and its lookups. Returns whether it existed. */
  delete(id: string): Promise<boolean>
  /** Replaces a key, keeping its id and settings; the old key works until the grace period ends. */
  reroll(id: string, options?: RerollApiKeyOptions): Promise<CreatedApiKey | undefined>
  /**
   * A resolver from the API key itself (as sent in the clear by the Icypeas scheme) to an HMAC
   * key over its secret. It checks format, existence, disabled, expiry and scope, but does not
   * spend the rate limit (the signature has not been checked yet).
   */
  apiKeyResolver(options?: ApiKeyResolverOptions): HmacKeyResolver
  /** A resolver from the key id (the RFC 9421 `keyid`) to an HMAC key over its secret, with the same checks. */
  secretResolver(options?: ApiKeyResolverOptions): HmacKeyResolver
}

interface KeyRecord {
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
const MAX_EXPIRES_AT_MS = 253_402_300_799_999

const ID_PATTERN = /^ak_[A-Za-z0-9_-]{22}$/
const SCOPE_PATTERN = /^[\x21-\x7e]{1,128}$/
const RECORD_NS = 'cs:ak:id:'
const HASH_NS = 'cs:ak:h:'
const RATE_NS = 'cs:ak:rl:'

function checkRateLimit(value: unknown, name: string): RateLimit {
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
function inRange(value: unknown, range: { min: number; max: number }): value is number {
  return Number.isInteger(value) && (value as number) >= range.min && (value as number) <= range.max
}

function toInfo(record: KeyRecord): ApiKeyInfo {
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

function parseKeyRecord(raw: string | undefined): KeyRecord | undefined {
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

function scopeList(scope: string | readonly string[] | undefined): readonly string[] {
  return scope === undefined ? [] : typeof scope === 'string' ? [scope] : scope
}

/**
 * Creates an API key manager over a store.
 *
 * @example
 * ```ts
 * const apiKeys = createApiKeys({ store, masterKey: process.env.COUNTERSIGN_MASTER_KEY })
 * const { id, key } = await apiKeys.createApiKey({ name: 'acme', scopes: ['tokens:generate'] })
 * const result = await apiKeys.verifyApiKey(key, { scope: 'tokens:generate' })
 * if (!result.valid) console.log(result.code) // 'NOT_FOUND' | 'EXPIRED' | ...
 * ```
 *
 * @throws `TypeError` when an option is invalid.
 */
export function createApiKeys(options: ApiKeysOptions): ApiKeys {
  if (typeof options !== 'object' || options === null || typeof options.store !== 'object') {
    throw new TypeError('expected options.store to be a store')
  }
  const store = options.store
  const now = options.now ?? Date.now
  const defaultRateLimit =
    options.defaultRateLimit === undefined
      ? undefined
      : checkRateLimit(options.defaultRateLimit, 'defaultRateLimit')
  const masterKey = options.masterKey === undefined ? undefined : importMasterKey(options.masterKey)
  masterKey?.catch(() => {})
  const hmacCache = new Map<string, Promise<Key>>()

  const readRecord = async (id: string): Promise<KeyRecord | undefined> => {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      return undefined
    }
    return parseKeyRecord(await guard(() => store.get(RECORD_NS + id)))
  }
  const writeRecord = (record: KeyRecord): Promise<boolean> =>
    guard(() => store.set(RECORD_NS + record.id, JSON.stringify(record)))

  const sealSecret = async (id: string, secret: string): Promise<string> => {
    if (masterKey === undefined) {
      throw new TypeError('API key secrets need options.masterKey')
    }
    return seal(await masterKey, secret, `cs:ak:secret:${id}`)
  }

  const update = async (id: string, change: (record: KeyRecord) => void): Promise<boolean> => {
    const record = await readRecord(id)
    if (record === undefined) {
      return false
    }
    change(record)
    record.updatedAt = now()
    await writeRecord(record)
    return true
  }

  /** Lookup → disabled → expired → scope (no rate limit). */
  const check = async (
    hash: string,
    scope: readonly string[],
  ): Promise<{ record?: KeyRecord; result?: VerifyApiKeyResult }> => {
    const pointer = parseRecord(await guard(() => store.get(HASH_NS + hash)))
    const id = pointer?.id
    if (typeof id !== 'string') {
      return { result: { valid: false, code: 'NOT_FOUND' } }
    }
    const record = await readRecord(id)
    const t = now()
    if (
      record === undefined ||
      (record.hash !== hash && !record.prev.some((p) => p.hash === hash && t < p.until))
    ) {
      return { result: { valid: false, code: 'NOT_FOUND' } }
    }
    const base = {
      id: record.id,
      name: record.name,
      scopes: [...record.scopes],
      ...(record.meta === null ? {} : { meta: record.meta }),
    }
    if (record.disabled) {
      return { result: { valid: false, code: 'DISABLED', ...base } }
    }
    if (record.expiresAt !== null && t >= record.expiresAt) {
      return { result: { valid: false, code: 'EXPIRED', ...base } }
    }
    if (!scope.every((s) => record.scopes.includes(s))) {
      return { result: { valid: false, code: 'FORBIDDEN', ...base } }
    }
    return { record, result: { valid: true, code: 'VALID', ...base } }
  }

  const hmacKey = async (
    record: KeyRecord,
    algorithm: 'hmac-sha256' | 'hmac-sha1',
  ): Promise<Key | undefined> => {
    if (record.secret === null || masterKey === undefined) {
      return undefined
    }
    const cacheKey = `${record.id}:${record.sv}:${algorithm}`
    let key = hmacCache.get(cacheKey)
    if (key === undefined) {
      const sealed = record.secret
      key = (async () => {
        const secret = await unseal(await masterKey, sealed, `cs:ak:secret:${record.id}`)
        if (secret === undefined) {
          throw new TypeError(
            `the secret of ${record.id} does not decrypt: is the master key right?`,
          )
        }
        return importKey(new TextEncoder().encode(secret), { algorithm, keyId: record.id })
      })()
      key.catch(() => hmacCache.delete(cacheKey))
      if (hmacCache.size >= 1000) {
        hmacCache.clear()
      }
      hmacCache.set(cacheKey, key)
    }
    return key
  }

  const resolver =
    (byKey: boolean, resolverOptions: ApiKeyResolverOptions = {}): HmacKeyResolver =>
    async (value) => {
      const algorithm = resolverOptions.algorithm ?? 'hmac-sha256'
      const scope = scopeList(resolverOptions.scope)
      let hash: string
      if (byKey) {
        if (!checkSecret(value, API_KEY_PREFIX)) {
          return undefined
        }
        hash = await hashSecret(value)
      } else {
        const record = await readRecord(value)
        if (record === undefined) {
          return undefined
        }
        hash = record.hash
      }
      const { record } = await check(hash, scope)
      return record === undefined ? undefined : hmacKey(record, algorithm)
    }

  return {
    async createApiKey(input) {
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
      } = input as CreateApiKeyInput
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
      let expires: number | null = null
      if (expiresAt !== undefined) {
        expires = expiresAt instanceof Date ? expiresAt.getTime() : expiresAt
        if (typeof expires !== 'number' || !Number.isInteger(expires)) {
          throw new TypeError('expected expiresAt to be a valid Date or whole epoch milliseconds')
        }
        if (expires < 0 || expires > MAX_EXPIRES_AT_MS) {
          throw new RangeError('expected expiresAt to be from 1970 to the end of the year 9999')
        }
      }
      let metaValue: JsonObject | null = null
      if (meta !== undefined) {
        if (!isJsonObject(meta)) {
          throw new TypeError('expected meta to be a plain object')
        }
        metaValue = toStrictJson(meta, 'meta', 4096).value as JsonObject
      }
      const limits =
        rateLimit === undefined
          ? (defaultRateLimit ?? null)
          : checkRateLimit(rateLimit, 'rateLimit')
      if (withSecret === true && masterKey === undefined) {
        throw new TypeError('API key secrets need options.masterKey')
      }
      const id = randomId('ak_')
      const key = generateSecret(API_KEY_PREFIX)
      const secret = withSecret === true ? generateSecret(API_KEY_SECRET_PREFIX) : undefined
      const hash = await hashSecret(key)
      const t = now()
      const record: KeyRecord = {
        v: 1,
        id,
        name,
        scopes: [...new Set(scopes)],
        createdAt: t,
        updatedAt: t,
        expiresAt: expires,
        meta: metaValue,
        rateLimit: limits,
        disabled: false,
        hash,
        prev: [],
        secret: secret === undefined ? null : await sealSecret(id, secret),
        sv: 1,
      }
      await writeRecord(record)
      await guard(() => store.set(HASH_NS + hash, JSON.stringify({ id })))
      return secret === undefined ? { id, key } : { id, key, secret }
    },

    async verifyApiKey(key, verifyOptions = {}) {
      if (!checkSecret(key, API_KEY_PREFIX)) {
        return { valid: false, code: 'NOT_FOUND' }
      }
      const { record, result } = await check(await hashSecret(key), scopeList(verifyOptions.scope))
      if (record === undefined || result === undefined) {
        return result ?? { valid: false, code: 'NOT_FOUND' }
      }
      if (record.rateLimit === null || verifyOptions.rateLimit === false) {
        return result
      }
      const { limit, windowMs } = record.rateLimit
      const hit = await guard(() => store.hit(RATE_NS + record.id, { limit, windowMs }))
      const state = { limit: hit.limit, remaining: hit.remaining, resetMs: hit.resetMs }
      if (!hit.allowed) {
        return {
          ...result,
          valid: false,
          code: 'RATE_LIMITED',
          retryAfterMs: hit.retryAfterMs,
          rateLimit: state,
        }
      }
      return { ...result, rateLimit: state }
    },

    async get(id) {
      const record = await readRecord(id)
      return record === undefined ? undefined : toInfo(record)
    },

    async list(listOptions = {}) {
      const entries = await guard(() => store.list(RECORD_NS, { limit: listOptions.limit ?? 1000 }))
      const out: ApiKeyInfo[] = []
      for (const { value } of entries) {
        const record = parseKeyRecord(value)
        if (record !== undefined) {
          out.push(toInfo(record))
        }
      }
      return out
    },

    disable(id) {
      return update(id, (record) => {
        record.disabled = true
      })
    },

    enable(id) {
      return update(id, (record) => {
        record.disabled = false
      })
    },

    async delete(id) {
      const record = await readRecord(id)
      if (record === undefined) {
        return false
      }
      await guard(() => store.delete(RECORD_NS + id))
      for (const hash of [record.hash, ...record.prev.map((p) => p.hash)]) {
        await guard(() => store.delete(HASH_NS + hash))
      }
      return true
    },

    async reroll(id, rerollOptions = {}) {
      const grace = rerollOptions.gracePeriodMs ?? 0
      if (typeof grace !== 'number' || !Number.isSafeInteger(grace)) {
        throw new TypeError('expected gracePeriodMs to be a whole number of milliseconds')
      }
      if (grace < 0 || grace > MAX_GRACE_PERIOD_MS) {
        throw new RangeError(
          `expected gracePeriodMs to be from 0 to ${MAX_GRACE_PERIOD_MS} (30 days)`,
        )
      }
      const record = await readRecord(id)
      if (record === undefined) {
        return undefined
      }
      const t = now()
      const key = generateSecret(API_KEY_PREFIX)
      const hash = await hashSecret(key)
      const oldHash = record.hash
      record.prev = record.prev.filter((p) => t < p.until)
      if (grace > 0) {
        record.prev.push({ hash: oldHash, until: t + grace })
      }
      record.hash = hash
      let secret: string | undefined
      if (rerollOptions.rerollSecret === true) {
        secret = generateSecret(API_KEY_SECRET_PREFIX)
        record.secret = await sealSecret(record.id, secret)
        record.sv += 1
      }
      record.updatedAt = t
      await guard(() => store.set(HASH_NS + hash, JSON.stringify({ id })))
      await writeRecord(record)
      if (grace > 0) {
        await guard(() => store.set(HASH_NS + oldHash, JSON.stringify({ id }), { ttlMs: grace }))
      } else {
        await guard(() => store.delete(HASH_NS + oldHash))
      }
      return secret === undefined ? { id, key } : { id, key, secret }
    },

    apiKeyResolver(resolverOptions) {
      return resolver(true, resolverOptions)
    },

    secretResolver(resolverOptions) {
      return resolver(false, resolverOptions)
    },
  }
}
