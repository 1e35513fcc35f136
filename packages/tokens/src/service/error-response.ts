/**
 * The error answer of each {@link ErrorStyle}: RFC 9457 problems (with `member`/`pointer` for
 * bad body members), OAuth problems with an RFC 6749 `error`, and the Kudo and Kaizala
 * `{ message }` bodies.
 *
 * @module
 */
import { AuthError } from '@countersign/core'
import { classify, errorHeaders, messageError, problem } from './http.ts'
import { memberExtensions } from './members.ts'
import type { ErrorStyle } from './route.ts'

/** Messages of the Kudo routes, by code (the seed: 403 "with a descriptive error message"). */
const KUDO_MESSAGES: Partial<Record<string, string>> = {
  token_missing: 'Missing token',
  token_invalid: 'Wrong token',
  token_expired: 'Token expired',
  token_revoked: 'Token revoked',
  rate_limited: 'Rate limit exceeded',
  unsupported_media_type: 'Content-Type must be application/json',
  invalid_json: 'Invalid JSON body',
  malformed: 'Malformed request',
  body_too_large: 'Body too large',
  method_not_allowed: 'Method not allowed',
}

const KAIZALA_MESSAGES: Partial<Record<string, string>> = {
  token_missing: 'Missing access token',
  token_invalid: 'Invalid access token',
  token_expired: 'Access token expired',
  token_revoked: 'Access token revoked',
}

const OAUTH_ERRORS: Partial<Record<string, string>> = {
  api_key_invalid: 'invalid_client',
  forbidden: 'unauthorized_client',
  malformed: 'invalid_request',
  invalid_json: 'invalid_request',
  unsupported_media_type: 'invalid_request',
  body_too_large: 'invalid_request',
}

/** The response for `error` on a route of `style`. */
export function errorResponse(style: ErrorStyle, error: unknown): Response {
  const { code, status } = classify(error)
  if (status >= 500) {
    if (style === 'kudo' || style === 'kaizala') {
      return messageError(
        status,
        status === 503 ? 'Service unavailable' : 'Internal error',
        code,
        errorHeaders(error),
      )
    }
    return problem(error)
  }
  if (style === 'kudo') {
    const message =
      (error instanceof AuthError ? error.message : undefined) ?? KUDO_MESSAGES[code] ?? 'Forbidden'
    return messageError(403, message, code, errorHeaders(error))
  }
  if (style === 'kaizala') {
    return messageError(401, KAIZALA_MESSAGES[code] ?? 'Unauthorized', code, errorHeaders(error))
  }
  if (style === 'oauth') {
    const oauth = OAUTH_ERRORS[code]
    return problem(error, {
      ...memberExtensions(error),
      ...(oauth === undefined ? {} : { error: oauth }),
    })
  }
  return problem(error, memberExtensions(error))
}
