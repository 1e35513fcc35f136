/**
 * The user a relay passes on, from a token's claims.
 *
 * @module
 */
import { hasControlCharacter } from '../internal/text.ts'
import type { RelayUser } from '../types.ts'
import { notLoggedIn } from './auth-failure.ts'

/** Claims that describe the token rather than the user; not passed on in `user`. */
const TOKEN_CLAIMS: ReadonlySet<string> = new Set([
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'typ',
  'azp',
  'client_id',
  'token_type',
  'token_use',
  'active',
  'scope',
  'scp',
  'cnf',
  'act',
  'auth_time',
  'nonce',
  'at_hash',
  'c_hash',
  'sid',
])

/** Builds the user passed on: `user_id` plus the claims that describe the user. */
export function userFromClaims(sub: unknown, claims: Record<string, unknown>): RelayUser {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256 || hasControlCharacter(sub)) {
    throw notLoggedIn('the token has no usable subject')
  }
  const user: RelayUser = { user_id: sub }
  for (const [name, value] of Object.entries(claims)) {
    if (!TOKEN_CLAIMS.has(name) && name !== 'user_id' && name !== '__proto__') {
      user[name] = value
    }
  }
  return user
}
