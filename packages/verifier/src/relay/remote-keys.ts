/**
 * A cached remote JWKS as a key resolver, Web APIs only: how an API verifies the relay's
 * Ed25519 signatures with the keys the relay publishes at `/.well-known/jwks.json`.
 *
 * @module
 */
import { createRemoteJwks, type Key, type RemoteJwksOptions } from '@countersign/core'

/** Options of {@link createRelayKeyResolver}. */
export type RelayKeyResolverOptions = Omit<RemoteJwksOptions, 'accept'>

/** Resolves a `keyid` to one of the relay's public keys, fetching the JWKS when needed. */
export type RelayKeyResolver = (keyId: string) => Promise<Key | undefined>

/**
 * Creates a resolver over the relay's JWKS URL: keys are fetched once and cached, refetched
 * when stale or when an unknown `keyid` appears (at most once per cooldown, so a flood of
 * made-up key ids cannot hammer the relay), and the last good keys are kept when a fetch fails.
 * The URL must be https (http only for localhost). `createRemoteJwks` from `@countersign/core`
 * does the work.
 *
 * @example
 * ```ts
 * const keys = createRelayKeyResolver('https://relay.example/.well-known/jwks.json')
 * const { user, data } = await verifyRelayRequest(request, { keys, nonceStore })
 * ```
 *
 * @throws `TypeError` when `url` is not https (or http on localhost).
 */
export function createRelayKeyResolver(
  url: string | URL,
  options: RelayKeyResolverOptions = {},
): RelayKeyResolver {
  return createRemoteJwks(url, options)
}
