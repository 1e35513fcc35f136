/**
 * API keys in the style of Unkey: prefixed random keys shown once and stored only as a hash,
 * with scopes, expiry, metadata, per-key rate limits, disable/enable, reroll with a grace
 * period, and optional HMAC secrets for request signing (Icypeas key + secret, RFC 9421
 * `hmac-sha256`) sealed with AES-256-GCM under a master key.
 *
 * @module
 */
import { checkSecret, generateSecret, hashSecret } from '@countersign/core'
import type {
  ApiKeyInfo,
  ApiKeyResolverOptions,
  ApiKeys,
  ApiKeysOptions,
  CreatedApiKey,
  HmacKeyResolver,
  RerollApiKeyOptions,
} from './api-key-types.ts'
import {
  checkRateLimit,
  type KeyRecord,
  keySettings,
  MAX_GRACE_PERIOD_MS,
  parseKeyRecord,
  RATE_NS,
  RECORD_NS,
  scopeList,
  toInfo,
} from './internal/api-key-record.ts'
import { createKeyRecords, type KeyRecords } from './internal/api-key-records.ts'
import { createKeySecrets, type KeySecrets } from './internal/api-key-secrets.ts'
import { randomId } from './internal/random.ts'
import { guard } from './internal/store-guard.ts'

export type * from './api-key-types.ts'
export {
  MAX_GRACE_PERIOD_MS,
  RATE_LIMIT_RANGE,
  RATE_WINDOW_RANGE,
} from './internal/api-key-record.ts'

/** The secret prefix of API keys. */
export const API_KEY_PREFIX = 'cs_ak'
/** The secret prefix of API key signing secrets. */
export const API_KEY_SECRET_PREFIX = 'cs_as'

function checkGrace(grace: unknown): number {
  if (typeof grace !== 'number' || !Number.isSafeInteger(grace)) {
    throw new TypeError('expected gracePeriodMs to be a whole number of milliseconds')
  }
  if (grace < 0 || grace > MAX_GRACE_PERIOD_MS) {
    throw new RangeError(`expected gracePeriodMs to be from 0 to ${MAX_GRACE_PERIOD_MS} (30 days)`)
  }
  return grace
}

/** Replaces a record's key (and secret), keeping the old key for `grace` ms. */
async function reroll(
  records: KeyRecords,
  secrets: KeySecrets,
  record: KeyRecord,
  options: { grace: number; rerollSecret: boolean; t: number },
): Promise<CreatedApiKey> {
  const { id } = record
  const key = generateSecret(API_KEY_PREFIX)
  const hash = await hashSecret(key)
  const oldHash = record.hash
  record.prev = record.prev.filter((p) => options.t < p.until)
  if (options.grace > 0) {
    record.prev.push({ hash: oldHash, until: options.t + options.grace })
  }
  record.hash = hash
  let secret: string | undefined
  if (options.rerollSecret) {
    secret = generateSecret(API_KEY_SECRET_PREFIX)
    record.secret = await secrets.seal(id, secret)
    record.sv += 1
  }
  record.updatedAt = options.t
  await records.point(hash, id)
  await records.write(record)
  if (options.grace > 0) {
    await records.point(oldHash, id, options.grace)
  } else {
    await records.unpoint(oldHash)
  }
  return secret === undefined ? { id, key } : { id, key, secret }
}

/** An HMAC key resolver by API key (`byKey`) or by key id, with every check but the rate limit. */
function hmacResolver(
  records: KeyRecords,
  secrets: KeySecrets,
  byKey: boolean,
  options: ApiKeyResolverOptions = {},
): HmacKeyResolver {
  return async (value) => {
    const algorithm = options.algorithm ?? 'hmac-sha256'
    let hash: string
    if (byKey) {
      if (!checkSecret(value, API_KEY_PREFIX)) {
        return undefined
      }
      hash = await hashSecret(value)
    } else {
      const record = await records.read(value)
      if (record === undefined) {
        return undefined
      }
      hash = record.hash
    }
    const { record } = await records.check(hash, scopeList(options.scope))
    return record === undefined ? undefined : secrets.hmacKey(record, algorithm)
  }
}

/**
 * Creates an API key manager over a store.
 *
 * `verifyApiKey` answers with a result code rather than throwing; the token service maps the
 * codes to error codes: `FORBIDDEN` → `forbidden`, `RATE_LIMITED` → `rate_limited`,
 * `NOT_FOUND`, `DISABLED` and `EXPIRED` → `api_key_invalid` (see the tokens guide).
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
  const secrets = createKeySecrets(options.masterKey)
  const records = createKeyRecords(store, now)

  return {
    async createApiKey(input) {
      const { withSecret, ...settings } = keySettings(input, defaultRateLimit)
      if (withSecret && !secrets.enabled) {
        throw new TypeError('API key secrets need options.masterKey')
      }
      const id = randomId('ak_')
      const key = generateSecret(API_KEY_PREFIX)
      const secret = withSecret ? generateSecret(API_KEY_SECRET_PREFIX) : undefined
      const hash = await hashSecret(key)
      const t = now()
      await records.write({
        v: 1,
        id,
        name: settings.name,
        scopes: settings.scopes,
        createdAt: t,
        updatedAt: t,
        expiresAt: settings.expiresAt,
        meta: settings.meta,
        rateLimit: settings.rateLimit,
        disabled: false,
        hash,
        prev: [],
        secret: secret === undefined ? null : await secrets.seal(id, secret),
        sv: 1,
      })
      await records.point(hash, id)
      return secret === undefined ? { id, key } : { id, key, secret }
    },

    async verifyApiKey(key, verifyOptions = {}) {
      if (!checkSecret(key, API_KEY_PREFIX)) {
        return { valid: false, code: 'NOT_FOUND' }
      }
      const { record, result } = await records.check(
        await hashSecret(key),
        scopeList(verifyOptions.scope),
      )
      if (record === undefined || record.rateLimit === null || verifyOptions.rateLimit === false) {
        return result
      }
      const { limit, windowMs } = record.rateLimit
      const hit = await guard(() => store.hit(RATE_NS + record.id, { limit, windowMs }))
      const rateLimit = { limit: hit.limit, remaining: hit.remaining, resetMs: hit.resetMs }
      if (!hit.allowed) {
        const retryAfterMs = hit.retryAfterMs
        return { ...result, valid: false, code: 'RATE_LIMITED', retryAfterMs, rateLimit }
      }
      return { ...result, rateLimit }
    },

    async get(id) {
      const record = await records.read(id)
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
      return records.update(id, (record) => {
        record.disabled = true
      })
    },

    enable(id) {
      return records.update(id, (record) => {
        record.disabled = false
      })
    },

    delete(id) {
      return records.remove(id)
    },

    async reroll(id, rerollOptions: RerollApiKeyOptions = {}) {
      const grace = checkGrace(rerollOptions.gracePeriodMs ?? 0)
      const record = await records.read(id)
      if (record === undefined) {
        return undefined
      }
      const rerollSecret = rerollOptions.rerollSecret === true
      return reroll(records, secrets, record, { grace, rerollSecret, t: now() })
    },

    apiKeyResolver(resolverOptions) {
      return hmacResolver(records, secrets, true, resolverOptions)
    },

    secretResolver(resolverOptions) {
      return hmacResolver(records, secrets, false, resolverOptions)
    },
  }
}
