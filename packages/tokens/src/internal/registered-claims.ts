/**
 * The registered JWT claims (RFC 7519 §4.1) every token the project accepts is checked
 * against, the same way for Countersign user tokens and OIDC tokens: `iss`, `aud`, `exp`,
 * `iat`, `nbf`, with one clock leeway.
 *
 * @module
 */
import { type JsonObject, TokenError } from '@countersign/core'

/** Options for {@link checkRegisteredClaims}. */
export interface RegisteredClaimsOptions {
  /** The expected `iss`, exactly. */
  issuer: string
  /** Expected audiences (one must match); `undefined` accepts any, but `aud` is still required. */
  audience: readonly string[] | undefined
  nowMs: number
  toleranceMs: number
  /** Whether `iat` must be present (RFC 9068 requires it; OIDC ID tokens carry it). */
  requireIssuedAt: boolean
}

/** The registered claims, checked. */
export interface RegisteredClaims {
  issuer: string
  audience: string[]
  expiresAtMs: number
  issuedAtMs: number | undefined
}

const invalid = (message: string): TokenError => new TokenError('token_invalid', message)

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value)

function audienceOf(aud: unknown): string[] {
  if (typeof aud === 'string') {
    return [aud]
  }
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) {
    return aud as string[]
  }
  throw invalid('token has no audience')
}

/**
 * Checks `iss`, `aud`, `exp` (required), `iat` (required when asked; never in the future),
 * `nbf`, with `toleranceMs` of leeway on each time.
 *
 * @throws `TokenError` `token_expired` or `token_invalid`.
 */
export function checkRegisteredClaims(
  claims: JsonObject,
  options: RegisteredClaimsOptions,
): RegisteredClaims {
  const { iss, aud, exp, iat, nbf } = claims
  if (iss !== options.issuer) {
    throw invalid('wrong issuer')
  }
  const audience = audienceOf(aud)
  if (options.audience !== undefined && !audience.some((a) => options.audience?.includes(a))) {
    throw invalid('wrong audience')
  }
  if (!isTime(exp)) {
    throw invalid('token has no expiry')
  }
  if (iat === undefined ? options.requireIssuedAt : !isTime(iat)) {
    throw invalid('token has no issue time')
  }
  const { nowMs, toleranceMs } = options
  if (isTime(iat) && iat * 1000 > nowMs + toleranceMs) {
    throw invalid('token issued in the future')
  }
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf * 1000 > nowMs + toleranceMs)) {
    throw invalid('token not yet valid')
  }
  if (exp * 1000 <= nowMs - toleranceMs) {
    throw new TokenError('token_expired', 'token has expired')
  }
  return {
    issuer: iss,
    audience,
    expiresAtMs: exp * 1000,
    issuedAtMs: isTime(iat) ? iat * 1000 : undefined,
  }
}
