/**
 * End-user authentication for the relay: a bearer token checked locally (Countersign user
 * tokens, OIDC JWTs), remotely (RFC 7662 introspection, cached), or by your own hook. A bad
 * credential is `not_logged_in` (401); an outage of what the check needs (a store, a JWKS) is
 * its own 5xx. The token never appears in a message.
 *
 * @module
 */
import type { VerifyOffload } from '@countersign/tokens'
import type { RelayAuth, RelayUser } from '../types.ts'
import { countersignAuthenticator } from './countersign-authenticator.ts'
import { customAuthenticator } from './custom-authenticator.ts'
import { introspectionAuthenticator } from './introspection-authenticator.ts'
import { oidcAuthenticator } from './oidc-authenticator.ts'

export { bearerToken, bearerTokenOf } from './bearer-token.ts'
export { DEFAULT_TOKEN_CACHE } from './countersign-authenticator.ts'
export { userFromClaims } from './user-from-claims.ts'

/** Authenticates the end user of a request. */
export type Authenticator = (request: Request) => Promise<RelayUser>

/** An authenticator that needs only the `Authorization` value (`null` when absent). */
export type HeaderAuthenticator = (authorization: string | null) => Promise<RelayUser>

/**
 * The relay's own view of an authenticator: `fromHeader` when the `Authorization` header is
 * all it reads (every type but `custom`), so a server need not build a `Request` for it.
 *
 * @internal
 */
export interface RelayAuthenticator {
  fromRequest: Authenticator
  fromHeader: HeaderAuthenticator | undefined
}

/**
 * Creates the authenticator for a relay's `auth` option.
 *
 * @example
 * ```ts
 * const authenticate = createAuthenticator({ type: 'countersign', issuer, audience, jwksUrl })
 * const user = await authenticate(request) // { user_id: 'u-1', name: 'Ada', … }
 * ```
 *
 * @throws `TypeError` for an unknown `auth.type`.
 */
export function createAuthenticator(auth: RelayAuth): Authenticator {
  return createRelayAuthenticator(auth).fromRequest
}

/**
 * Creates both views of the authenticator for `auth`.
 *
 * @internal
 * @throws `TypeError` for an unknown `auth.type`.
 */
export function createRelayAuthenticator(
  auth: RelayAuth,
  offload?: VerifyOffload,
  onTokenCache?: (hit: boolean) => void,
): RelayAuthenticator {
  let fromHeader: HeaderAuthenticator
  switch (auth.type) {
    case 'countersign':
      fromHeader = countersignAuthenticator(auth, offload, onTokenCache)
      break
    case 'oidc':
      fromHeader = oidcAuthenticator(auth)
      break
    case 'introspection':
      fromHeader = introspectionAuthenticator(auth)
      break
    case 'custom':
      return { fromRequest: customAuthenticator(auth), fromHeader: undefined }
    default:
      throw new TypeError('auth.type must be countersign, introspection, oidc or custom')
  }
  return {
    fromRequest: async (request) => fromHeader(request.headers.get('authorization')),
    fromHeader,
  }
}
