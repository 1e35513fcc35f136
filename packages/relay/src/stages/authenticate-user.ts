/**
 * The authentication stage: who the end user is, from the request (`Authorization: Bearer` for
 * the built-in auth types, the whole `Request` for a custom hook).
 *
 * @internal
 * @module
 */
import type { RelayUser } from '../types.ts'
import type { RelayContext } from './relay-context.ts'

/**
 * The request's user.
 *
 * @throws {@link @countersign/core!AuthError} `not_logged_in` (or the auth's own coded error).
 */
export function authenticateUser(context: RelayContext, request: Request): Promise<RelayUser> {
  return context.auth.fromRequest(request)
}
