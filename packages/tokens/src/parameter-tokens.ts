/**
 * Parameter tokens: hide a set of parameters (API keys, file paths, server ids) behind a
 * short-lived random token, as the Kudo token service does. Only a hash of the token is a store
 * key, and the parameters are sealed under a key derived from the token, so neither the token
 * nor the parameters can be read from the store. Records are written in format v2 (one SHA-512
 * of the token gives the store id and the record key); v1 records (SHA-256 id, HKDF key) written
 * before still verify, revoke and redeem.
 *
 * @module
 */
import {
  type ConsumeOnceStore,
  isJsonObject,
  type JsonObject,
  type KeyValueStore,
  parseJsonStrict,
  TokenError,
} from '@countersign/core'
import { type Duration, toMs } from './internal/duration.ts'
import { toStrictJson } from './internal/json.ts'
import { createReferenceTokens } from './internal/reference-tokens.ts'

/** The secret prefix of parameter tokens. */
export const PARAMETER_TOKEN_PREFIX = 'cs_pt'

/** Options for {@link createParameterTokens}. */
export interface ParameterTokensOptions {
  /** Where token records live (memory, SQLite or Redis). Needs `get`/`set`/`delete`/`list` and `consumeOnce`. */
  store: KeyValueStore & ConsumeOnceStore
  /** Lifetime of a token when `issue` is given none. Default `'1h'`. */
  defaultTtl?: Duration
  /** The longest lifetime `issue` accepts. Default `'30d'`. */
  maxTtl?: Duration
  /** The largest parameter object accepted, in bytes of JSON. Default 16 KiB. */
  maxParamsBytes?: number
  /**
   * How long an expired, revoked or redeemed token's marker is kept after expiry, so that it
   * answers `token_expired`/`token_revoked` rather than `token_invalid`. Default `'1h'`.
   */
  expiredRetention?: Duration
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
}

/** Options for {@link ParameterTokens.issue}. */
export interface IssueParameterTokenOptions {
  /** Lifetime; defaults to the factory's `defaultTtl`. */
  ttl?: Duration
  /** Whether the token can be verified (read) only once. Default `false`. */
  singleUse?: boolean
  /** The client (usually an API key id) the token is issued to; recorded, never secret. */
  clientId?: string
}

/** A newly issued parameter token. The token is shown once: only its hash is stored. */
export interface IssuedParameterToken {
  /** The token, `cs_pt_…`. */
  token: string
  /** When it stops verifying. */
  expiresAt: Date
}

/** Metadata of a live parameter token (never its parameters). */
export interface ParameterTokenInfo {
  /** When it stops verifying. */
  expiresAt: Date
  /** When it was issued. */
  issuedAt: Date
  /** Whether it can be read only once. */
  singleUse: boolean
  /** The client it was issued to, if recorded. */
  clientId: string | undefined
}

/** Issues, verifies, redeems and revokes parameter tokens. Create with {@link createParameterTokens}. */
export interface ParameterTokens {
  /**
   * Stores `params` under a new token.
   *
   * @throws `TypeError`/`RangeError` when `params` is not a plain JSON object within the size
   *   cap, or the TTL is invalid or above `maxTtl`.
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  issue(
    params: Record<string, unknown>,
    options?: IssueParameterTokenOptions,
  ): Promise<IssuedParameterToken>
  /**
   * Returns the parameters of a live token. A single-use token is consumed by its first
   * successful `verify` (exactly once, even under concurrency); later calls get `token_revoked`.
   *
   * @throws `TokenError` `token_invalid` (unknown or malformed: rejected without a store
   *   lookup when the checksum is wrong), `token_expired`, or `token_revoked` (revoked or
   *   already redeemed).
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  verify(token: string): Promise<JsonObject>
  /**
   * Like {@link ParameterTokens.verify}, but always consumes the token: exactly one call
   * succeeds for a token, whether or not it was issued single-use.
   *
   * @throws `TokenError` as `verify`.
   */
  redeem(token: string): Promise<JsonObject>
  /**
   * Metadata of a live token, without reading or consuming its parameters.
   *
   * @throws `TokenError` as `verify`.
   */
  inspect(token: string): Promise<ParameterTokenInfo>
  /**
   * Revokes a token: it answers `token_revoked` until it would have expired. Returns `false`
   * for an unknown or malformed token (or, with `clientId`, one issued to another client).
   *
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  revoke(token: string, options?: { clientId?: string }): Promise<boolean>
  /** Whether `token` looks like a parameter token (prefix and checksum), without a lookup. */
  isParameterToken(token: string): boolean
}

/**
 * Creates a parameter token issuer and verifier over a store.
 *
 * @example
 * ```ts
 * const tokens = createParameterTokens({ store: createMemoryStore(), defaultTtl: '15m' })
 * const { token } = await tokens.issue({ auth: 'apiKey', file: 'plan.dwg' }, { singleUse: true })
 * const params = await tokens.verify(token) // { auth: 'apiKey', file: 'plan.dwg' }
 * ```
 *
 * @throws `TypeError` when an option is invalid.
 */
export function createParameterTokens(options: ParameterTokensOptions): ParameterTokens {
  if (typeof options !== 'object' || options === null || typeof options.store !== 'object') {
    throw new TypeError('expected options.store to be a store')
  }
  const now = options.now ?? Date.now
  const defaultTtlMs = toMs(options.defaultTtl ?? '1h', 'defaultTtl')
  const maxTtlMs = toMs(options.maxTtl ?? '30d', 'maxTtl')
  const maxParamsBytes = options.maxParamsBytes ?? 16 * 1024
  if (defaultTtlMs > maxTtlMs) {
    throw new RangeError('expected defaultTtl to be at most maxTtl')
  }
  const engine = createReferenceTokens({
    store: options.store,
    prefix: PARAMETER_TOKEN_PREFIX,
    namespace: 'cs:pt:',
    info: 'countersign parameter token v1',
    v2: { namespace: 'cs:pt2:', domain: 'countersign parameter token v2' },
    retentionMs: toMs(options.expiredRetention ?? '1h', 'expiredRetention'),
    now,
  })

  const decode = (payload: string): JsonObject => {
    const value = parseJsonStrict(payload)
    if (!isJsonObject(value)) {
      throw new TokenError('token_invalid', 'token is not valid')
    }
    return value
  }

  return {
    async issue(params, issueOptions = {}) {
      if (!isJsonObject(params)) {
        throw new TypeError('expected params to be a plain object')
      }
      const { json } = toStrictJson(params, 'params', maxParamsBytes)
      const ttlMs = issueOptions.ttl === undefined ? defaultTtlMs : toMs(issueOptions.ttl, 'ttl')
      if (ttlMs > maxTtlMs) {
        throw new RangeError(`expected ttl to be at most ${maxTtlMs} ms`)
      }
      const expiresAt = now() + ttlMs
      const token = await engine.issue(json, {
        expiresAt,
        singleUse: issueOptions.singleUse === true,
        ...(issueOptions.clientId === undefined ? {} : { clientId: issueOptions.clientId }),
      })
      return { token, expiresAt: new Date(expiresAt) }
    },

    async verify(token) {
      return decode((await engine.resolve(token)).payload)
    },

    async redeem(token) {
      return decode((await engine.resolve(token, { consume: true })).payload)
    },

    async inspect(token) {
      const info = await engine.info(token)
      return {
        expiresAt: new Date(info.expiresAt),
        issuedAt: new Date(info.issuedAt),
        singleUse: info.singleUse,
        clientId: info.clientId,
      }
    },

    revoke(token, revokeOptions) {
      return engine.revoke(token, revokeOptions)
    },

    isParameterToken(token) {
      return engine.owns(token)
    },
  }
}
