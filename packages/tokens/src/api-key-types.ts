/**
 * The types of API keys: inputs, records as shown, verification results, resolvers.
 *
 * @module
 */
import type { JsonObject, Key, KeyValueStore, WindowCounterStore } from '@countersign/core'
import type { MasterKeyInput } from './internal/seal.ts'

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
