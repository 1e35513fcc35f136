/**
 * API-key authentication of a token-service route, and the map from API-key result codes to
 * error codes.
 *
 * @module
 */
import { AuthError, RateLimitError, RequestError } from '@countersign/core'
import type { ApiKeys } from '../api-keys.ts'
import type { RouteContext } from './route.ts'

/** Where a route reads its API key: `Authorization: Bearer` or `x-api-key`, or `x-api-key` only. */
export type KeyHeaders = 'bearer-or-header' | 'header-only'

function presentedKey(request: Request, headers: KeyHeaders): string | undefined {
  const header = request.headers.get('x-api-key')
  if (headers === 'header-only') {
    return header ?? undefined
  }
  const auth = request.headers.get('authorization')
  let bearer: string | undefined
  if (auth !== null) {
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(auth)
    if (match === null) {
      throw new AuthError('api_key_invalid', 'malformed Authorization header')
    }
    bearer = match[1]
  }
  if (bearer !== undefined && header !== null && bearer !== header) {
    throw new RequestError('malformed', 'conflicting Authorization and x-api-key headers')
  }
  return bearer ?? header ?? undefined
}

/**
 * Verifies the request's API key for `scope` and records it as `ctx.caller`. The result codes
 * of `verifyApiKey` map to error codes as follows (docs/guides/tokens.md repeats this table):
 * `VALID` → none; `FORBIDDEN` → `forbidden` (403); `RATE_LIMITED` → `rate_limited` (429);
 * `NOT_FOUND`, `DISABLED`, `EXPIRED` → `api_key_invalid` (401).
 *
 * @throws `AuthError` `api_key_invalid` or `forbidden`; `RateLimitError` `rate_limited`;
 *   `RequestError` `malformed` for conflicting key headers.
 */
export async function authenticateCaller(
  apiKeys: ApiKeys,
  ctx: RouteContext,
  scope: string,
  headers: KeyHeaders = 'bearer-or-header',
): Promise<void> {
  const key = presentedKey(ctx.request, headers)
  if (key === undefined || key.length === 0) {
    throw new AuthError('api_key_invalid', 'Missing API key')
  }
  const result = await apiKeys.verifyApiKey(key, { scope })
  if (result.id !== undefined) {
    ctx.caller = { ...result, id: result.id }
  }
  switch (result.code) {
    case 'VALID':
      return
    case 'FORBIDDEN':
      throw new AuthError('forbidden', `API key lacks the ${scope} scope`)
    case 'RATE_LIMITED':
      throw new RateLimitError(result.retryAfterMs ?? 1000, 'Rate limit exceeded')
    case 'DISABLED':
      throw new AuthError('api_key_invalid', 'API key disabled')
    case 'EXPIRED':
      throw new AuthError('api_key_invalid', 'API key expired')
    default:
      throw new AuthError('api_key_invalid', 'Wrong API key')
  }
}
