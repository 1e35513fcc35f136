/**
 * The verified-token cache of `auth: countersign`: a bounded map from the exact bearer token to
 * the user its successful verification produced, so a client that sends the same token many
 * times pays the signature check once per `maxAgeMs` (Envoy's `jwt_authn` `jwt_cache_config` is
 * the precedent).
 *
 * An entry is only a shortcut for a verification that already succeeded, and it is used only
 * while a fresh verification would still accept the token:
 *
 * - until `min(exp, verified at + maxAgeMs)` (no clock tolerance: past `exp` the token is
 *   verified again, with the usual tolerance), and not if the clock went back past the moment
 *   it was verified (so `nbf` and `iat` still hold);
 * - while the token's `kid` still resolves to the very key that verified it (a key removed
 *   from the key ring, expired there or gone from the remote JWKS ends the entry);
 * - the jti denylist, when configured, is checked on every hit.
 *
 * Anything else (a miss, an expired entry, a changed key) falls through to the full
 * verification. Failures are never cached. The map holds at most `maxEntries` tokens of at
 * most {@link MAX_CACHED_TOKEN_LENGTH} characters; the oldest entry goes first.
 *
 * @internal
 * @module
 */
import type { RelayUser } from '../types.ts'

/** Tokens longer than this are verified every time, never cached (bounds the memory). */
export const MAX_CACHED_TOKEN_LENGTH = 4096

/** One verified token. */
export interface CachedToken {
  /** The user built from its claims (frozen: shared by every request that hits). */
  readonly user: RelayUser
  /** Its `jti`, for the denylist check on every hit. */
  readonly jti: string
  /** The `kid` of its JWS header. */
  readonly kid: string
  /** What the key source returned for `kid` when the token was verified. */
  readonly key: unknown
  /** When it was verified (ms since the epoch). */
  readonly verifiedAt: number
  /** `min(exp, verifiedAt + maxAgeMs)`, in ms since the epoch. */
  readonly validUntil: number
}

/** A bounded verified-token cache. */
export interface TokenCache {
  /** The entry for `token` while `now` is within its validity, else `undefined` (and it is dropped). */
  get(token: string, now: number): CachedToken | undefined
  /** Remembers a verified token (ignored when it is too long or already past its validity). */
  set(token: string, entry: Omit<CachedToken, 'validUntil'> & { expiresAt: number }): void
  /** Forgets a token. */
  delete(token: string): void
  /** The number of entries. */
  readonly size: number
}

/** Options of {@link createTokenCache}. */
export interface TokenCacheOptions {
  /** The most tokens held. */
  maxEntries: number
  /** The longest an entry is used, in ms. */
  maxAgeMs: number
}

/**
 * The map key of a token: its last {@link KEY_CHARS} characters (of a JWT, its signature), so
 * a lookup hashes those rather than the whole token. An entry keeps the whole token and is
 * used only for exactly that token.
 */
const KEY_CHARS = 64

function keyOf(token: string): string {
  return token.length <= KEY_CHARS ? token : token.slice(token.length - KEY_CHARS)
}

interface Entry extends CachedToken {
  readonly token: string
}

/** Creates a {@link TokenCache}. */
export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const { maxEntries, maxAgeMs } = options
  const map = new Map<string, Entry>()
  return {
    get(token, now) {
      const key = keyOf(token)
      const entry = map.get(key)
      if (entry === undefined || entry.token !== token) {
        return undefined
      }
      if (now >= entry.validUntil || now < entry.verifiedAt) {
        map.delete(key)
        return undefined
      }
      return entry
    },
    set(token, entry) {
      if (token.length > MAX_CACHED_TOKEN_LENGTH || maxEntries <= 0 || maxAgeMs <= 0) {
        return
      }
      const validUntil = Math.min(entry.expiresAt, entry.verifiedAt + maxAgeMs)
      if (!(validUntil > entry.verifiedAt)) {
        return
      }
      const key = keyOf(token)
      map.delete(key)
      while (map.size >= maxEntries) {
        const oldest = map.keys().next().value
        if (oldest === undefined) {
          break
        }
        map.delete(oldest)
      }
      map.set(key, {
        token,
        user: Object.freeze(entry.user),
        jti: entry.jti,
        kid: entry.kid,
        key: entry.key,
        verifiedAt: entry.verifiedAt,
        validUntil,
      })
    },
    delete(token) {
      const key = keyOf(token)
      if (map.get(key)?.token === token) {
        map.delete(key)
      }
    },
    get size() {
      return map.size
    },
  }
}
