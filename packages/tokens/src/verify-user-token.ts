/**
 * Local verification of user tokens by an API: JWTs with the issuer's keys or JWKS, checked
 * strictly against RFC 9068, with an optional jti denylist.
 *
 * @module
 */
import type { Jwks, Key, KeyValueStore } from '@countersign/core'
import { DEFAULT_MAX_TOKEN_LENGTH, type Duration, toleranceToMs } from './internal/duration.ts'
import { USER_TOKEN_ALGS } from './internal/jws.ts'
import { jwksResolver, type KeySource, toResolver } from './internal/user-claims.ts'
import { type VerifiedUserToken, verifyUser } from './internal/verify-user.ts'

/** Options for {@link verifyUserToken}. */
export interface VerifyUserTokenOptions {
  /** The expected `iss`, exactly. */
  issuer: string
  /** The expected audience (for Kaizala, the action package id); one of the token's must match. */
  audience: string | readonly string[]
  /**
   * Verification keys: a key ring, {@link SigningKeys}, an array of keys, a `kid` resolver such
   * as {@link createRemoteJwks}'s. Give this or `jwks`.
   */
  keys?: KeySource
  /** A JWKS object of public keys. Give this or `keys`. */
  jwks?: Jwks
  /** The store holding the issuer's jti denylist; when given, revoked tokens are refused. */
  denylist?: KeyValueStore
  /** Accepted JWS algorithms. Default `['EdDSA', 'Ed25519', 'ES256']`. */
  algorithms?: readonly ('EdDSA' | 'Ed25519' | 'ES256')[]
  /** Leeway for `exp`, `nbf` and `iat`. Default 30 seconds. */
  clockTolerance?: Duration
  /** Longest token accepted, in characters. Default 8192. */
  maxTokenLength?: number
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
  /**
   * Where the signature is checked. `true`: through the key's asynchronous `verify`, which on
   * Node runs on libuv's thread pool, so a server checking many tokens keeps its event loop for
   * I/O. A function: it is called with the key, the signed bytes and the signature, and returns
   * whether the signature is valid (a worker thread, say; it must check with exactly that key).
   * Default `false`: on the calling thread where the key allows it.
   */
  offload?: boolean | VerifyOffload
}

/**
 * Checks `signature` over `data` with `key` somewhere other than the calling thread; see
 * {@link VerifyUserTokenOptions.offload}. Resolves `false` for a signature that does not verify.
 */
export type VerifyOffload = (key: Key, data: Uint8Array, signature: Uint8Array) => Promise<boolean>

/**
 * Verifies a user-token JWT: a compact JWS whose header names `typ: at+jwt`, a `kid` that
 * resolves to a key, and the key's own algorithm (EdDSA or ES256; never `none`, HMAC or a
 * `crit` extension), with a valid signature, then the claims `iss`, `aud`, `exp`, `nbf`, `iat`
 * (with a small leeway), `sub`, `jti` and `client_id`, then the jti denylist.
 *
 * On Node the signature check is synchronous on a cached key, with no JOSE library in the way.
 *
 * @example
 * ```ts
 * const { user, audience } = await verifyUserToken(token, {
 *   issuer: 'https://tokens.example',
 *   audience: 'my-action-package',
 *   keys: createRemoteJwks('https://tokens.example/.well-known/jwks.json'),
 * })
 * ```
 *
 * @throws `TokenError` `token_missing`, `token_invalid`, `token_expired` or `token_revoked`.
 * @throws `StoreError` `store_unavailable` when the denylist store fails.
 * @throws `UpstreamError` `jwks_unavailable` (503) when `keys` is a remote JWKS that cannot be
 * fetched and holds no keys from before.
 * @throws `TypeError` when the options are invalid.
 */
export async function verifyUserToken(
  token: string,
  options: VerifyUserTokenOptions,
): Promise<VerifiedUserToken> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('expected options')
  }
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) {
    throw new TypeError('expected options.issuer to be a non-empty string')
  }
  const audience = typeof options.audience === 'string' ? [options.audience] : options.audience
  if (
    !Array.isArray(audience) ||
    audience.length === 0 ||
    !audience.every((a) => typeof a === 'string')
  ) {
    throw new TypeError('expected options.audience to be a string or a non-empty array of strings')
  }
  let resolve: ReturnType<typeof toResolver>
  if (options.keys !== undefined) {
    resolve = toResolver(options.keys)
  } else if (options.jwks !== undefined) {
    resolve = jwksResolver(options.jwks)
  } else {
    throw new TypeError('expected options.keys or options.jwks')
  }
  const offload = options.offload ?? false
  if (typeof offload !== 'boolean' && typeof offload !== 'function') {
    throw new TypeError('expected options.offload to be a boolean or a function')
  }
  return verifyUser(token, {
    issuer: options.issuer,
    audience,
    resolve,
    denylist: options.denylist,
    opaque: undefined,
    algorithms: options.algorithms ?? USER_TOKEN_ALGS,
    toleranceMs: toleranceToMs(options.clockTolerance),
    maxLength: options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH,
    now: options.now ?? Date.now,
    offload,
  })
}
