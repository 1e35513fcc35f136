/**
 * The bearer token of a request or of an `Authorization` value.
 *
 * @module
 */
import { MAX_TOKEN_LENGTH, notLoggedIn } from './auth-failure.ts'

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/**
 * The bearer token of a request.
 *
 * @throws {@link @countersign/core!AuthError} `not_logged_in` when there is none or it is malformed.
 */
export function bearerToken(request: Request): string {
  return bearerTokenOf(request.headers.get('authorization'))
}

/**
 * The bearer token of an `Authorization` value (`null` when the header is absent).
 *
 * @throws {@link @countersign/core!AuthError} `not_logged_in` when there is none or it is malformed.
 */
export function bearerTokenOf(header: string | null): string {
  if (header === null) {
    throw notLoggedIn('no Authorization: Bearer token')
  }
  if (header.length > MAX_TOKEN_LENGTH + 16) {
    throw notLoggedIn('the bearer token is too long')
  }
  const match = BEARER.exec(header)
  if (match === null) {
    throw notLoggedIn('the Authorization header is not a single Bearer token')
  }
  return match[1] as string
}
