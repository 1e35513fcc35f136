/**
 * A cached remote JWKS: how an API verifies user tokens offline with the token service's
 * published keys.
 *
 * @module
 */
import {
  type RemoteJwksOptions as CoreRemoteJwksOptions,
  createRemoteJwks as createRemoteKeySet,
  type Key,
} from '@countersign/core'

/** Options for {@link createRemoteJwks}. */
export type RemoteJwksOptions = Omit<CoreRemoteJwksOptions, 'accept'>

/** A `kid` resolver backed by a remote JWKS; pass it as `keys` to {@link verifyUserToken}. */
export type RemoteJwks = (kid: string) => Promise<Key | undefined>

/** The algorithms a user token may be signed with. */
const isUserTokenKey = (key: Key): boolean =>
  key.algorithm === 'ed25519' || key.algorithm === 'ecdsa-p256-sha256'

/**
 * Creates a resolver that fetches a JWKS over HTTPS (or HTTP on loopback), caches the imported
 * Ed25519 and P-256 keys, refetches when the cache is stale or an unknown `kid` appears (at
 * most once per cooldown), and keeps serving the last good keys when a refetch fails. `createRemoteJwks` from
 * `@countersign/core` does the work.
 *
 * @example
 * ```ts
 * const keys = createRemoteJwks('https://tokens.example/.well-known/jwks.json')
 * await verifyUserToken(token, { issuer, audience, keys })
 * ```
 *
 * @throws `TypeError` when `url` is not an https URL (http is allowed for localhost only).
 */
export function createRemoteJwks(url: string | URL, options: RemoteJwksOptions = {}): RemoteJwks {
  return createRemoteKeySet(url, { ...options, accept: isUserTokenKey })
}
