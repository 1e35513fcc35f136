/**
 * The failures every relay authenticator shares: `not_logged_in` for a bad credential, a
 * dependency outage (a store, a JWKS) passed on as it is.
 *
 * @internal
 * @module
 */
import { AuthError, type CountersignError, isCountersignError } from '@countersign/core'

/** The longest bearer token read. */
export const MAX_TOKEN_LENGTH = 8192
/** Leeway for `exp`, `nbf` and `iat`, as `@countersign/tokens` and the OIDC check use. */
export const CLOCK_TOLERANCE_MS = 30_000

/** A `not_logged_in` (401) error; the token never appears in `message`. */
export function notLoggedIn(message: string, cause?: unknown): AuthError {
  return new AuthError('not_logged_in', message, cause === undefined ? {} : { cause })
}

/**
 * What a failed token check becomes: a dependency outage (any 5xx Countersign error, such as
 * `store_unavailable` or `jwks_unavailable`) stays itself, so it never looks like a bad
 * credential; anything else is `not_logged_in`.
 */
export function tokenFailure(error: unknown): CountersignError {
  if (isCountersignError(error) && error.status >= 500) {
    return error
  }
  if (isCountersignError(error) && error.code === 'token_expired') {
    return notLoggedIn('the session token has expired', error)
  }
  return notLoggedIn('the session token is not valid', error)
}
