/**
 * Verification of any JWT the project accepts other than its own user tokens (OIDC ID and
 * access tokens at the relay), on the same JWS path and the same registered-claim checks as
 * {@link verifyUserToken}.
 *
 * @module
 */
import type { JsonObject, Key } from '@countersign/core'
import { DEFAULT_MAX_TOKEN_LENGTH, type Duration, toleranceToMs } from './internal/duration.ts'
import { SUPPORTED_JWS_ALGS, verifyCompact } from './internal/jws.ts'
import { checkRegisteredClaims } from './internal/registered-claims.ts'
import { type KeySource, toResolver } from './internal/user-claims.ts'
import type { VerifyOffload } from './verify-user-token.ts'

/** A JWS `alg` {@link verifyJwt} can check. */
export type JwtAlgorithm = 'EdDSA' | 'Ed25519' | 'ES256' | 'RS256' | 'PS512'

/** Options for {@link verifyJwt}. */
export interface VerifyJwtOptions {
  /** The expected `iss`, exactly. */
  issuer: string
  /** The expected audience; one of the token's must match. */
  audience: string | readonly string[]
  /** Verification keys: a key ring, an array of keys, or a `kid` resolver such as `createRemoteJwks`'s. */
  keys: KeySource
  /** Accepted JWS algorithms; each must also be the algorithm of the key the `kid` names. Default all. */
  algorithms?: readonly JwtAlgorithm[]
  /**
   * Accepted `typ` values, lowercase, without `application/`. Default `['jwt', 'at+jwt']` (ID
   * and RFC 9068 access tokens; not logout tokens, DPoP proofs or security events).
   */
  types?: readonly string[]
  /** Whether a JWT without `typ` is accepted. Default `true` (most ID tokens carry none). */
  typeOptional?: boolean
  /** Leeway for `exp`, `nbf` and `iat`. Default 30 seconds. */
  clockTolerance?: Duration
  /** Longest token accepted, in characters. Default 8192. */
  maxTokenLength?: number
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
  /** Where the signature is checked; as for {@link verifyUserToken}. Default inline. */
  offload?: boolean | VerifyOffload
}

/** A verified JWT. */
export interface VerifiedJwt {
  /** The protected header. */
  header: JsonObject
  /** Every claim, as signed. */
  claims: JsonObject
  /** The key that verified it. */
  key: Key
  /** The audiences (`aud`). */
  audience: string[]
  /** When it expires (`exp`). */
  expiresAt: Date
}

const DEFAULT_TYPES = ['jwt', 'at+jwt']

function audienceList(audience: string | readonly string[]): readonly string[] {
  const list = typeof audience === 'string' ? [audience] : audience
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === 'string')) {
    throw new TypeError('expected options.audience to be a string or a non-empty array of strings')
  }
  return list
}

/**
 * Verifies a compact JWT strictly: the header names a `kid` that resolves to a key and the
 * key's own algorithm (never `none` or HMAC; no `crit`, `b64`, `jku`, `jwk`, `x5u`, `x5c`),
 * an accepted `typ`, a valid signature; then `iss`, `aud`, `exp` (required), `nbf` and `iat`
 * with a small leeway. These are the checks `verifyUserToken` makes before its RFC 9068 ones.
 *
 * @example
 * ```ts
 * const keys = createRemoteJwks('https://idp.example/.well-known/jwks.json')
 * const { claims } = await verifyJwt(idToken, { issuer: 'https://idp.example', audience: 'my-app', keys })
 * ```
 *
 * @throws `TokenError` `token_invalid` or `token_expired`.
 * @throws `TypeError` when the options are invalid.
 */
export async function verifyJwt(token: string, options: VerifyJwtOptions): Promise<VerifiedJwt> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('expected options')
  }
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) {
    throw new TypeError('expected options.issuer to be a non-empty string')
  }
  const audience = audienceList(options.audience)
  const { header, payload, key } = await verifyCompact(token, {
    resolve: toResolver(options.keys),
    algorithms: options.algorithms ?? SUPPORTED_JWS_ALGS,
    types: options.types ?? DEFAULT_TYPES,
    typeOptional: options.typeOptional ?? true,
    maxLength: options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH,
    offload: options.offload ?? false,
  })
  const registered = checkRegisteredClaims(payload, {
    issuer: options.issuer,
    audience,
    nowMs: (options.now ?? Date.now)(),
    toleranceMs: toleranceToMs(options.clockTolerance),
    requireIssuedAt: false,
  })
  return {
    header: header.raw,
    claims: payload,
    key,
    audience: registered.audience,
    expiresAt: new Date(registered.expiresAtMs),
  }
}
