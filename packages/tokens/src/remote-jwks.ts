/**
 * A cached remote JWKS: how an API verifies user tokens offline with the token service's
 * published keys.
 *
 * @module
 */
import type { Jwks, Key } from '@countersign/core'
import { importJwks } from './internal/user-claims.ts'

/** Options for {@link createRemoteJwks}. */
export interface RemoteJwksOptions {
  /** How long a fetched JWKS is used before it is fetched again. Default 5 minutes. */
  cacheMaxAgeMs?: number
  /** The least time between two fetches triggered by an unknown `kid`. Default 30 seconds. */
  cooldownMs?: number
  /** Timeout of one fetch. Default 5 seconds. */
  timeoutMs?: number
  /** Largest JWKS body accepted, in bytes. Default 64 KiB. */
  maxBytes?: number
  /** The `fetch` to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch
}

/** A `kid` resolver backed by a remote JWKS; pass it as `keys` to {@link verifyUserToken}. */
export type RemoteJwks = (kid: string) => Promise<Key | undefined>

/**
 * Creates a resolver that fetches a JWKS over HTTPS (or HTTP on loopback), caches the imported
 * keys, refetches when the cache is stale or an unknown `kid` appears (at most once per
 * cooldown), and keeps serving the last good keys when a refetch fails.
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
  const target = new URL(url)
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(target.hostname)
  if (target.protocol !== 'https:' && !(target.protocol === 'http:' && loopback)) {
    throw new TypeError('expected the JWKS URL to use https (http only for localhost)')
  }
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? 300_000
  const cooldownMs = options.cooldownMs ?? 30_000
  const timeoutMs = options.timeoutMs ?? 5_000
  const maxBytes = options.maxBytes ?? 64 * 1024
  const doFetch = options.fetch ?? globalThis.fetch

  let keys = new Map<string, Key>()
  let fetchedAt = Number.NEGATIVE_INFINITY
  let inFlight: Promise<void> | undefined

  const refresh = (): Promise<void> => {
    if (inFlight === undefined) {
      inFlight = (async () => {
        try {
          const response = await doFetch(target, {
            headers: { accept: 'application/jwk-set+json, application/json' },
            redirect: 'error',
            signal: AbortSignal.timeout(timeoutMs),
          })
          if (!response.ok) {
            return
          }
          const text = await response.text()
          if (text.length > maxBytes) {
            return
          }
          const jwks = JSON.parse(text) as Jwks
          if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
            return
          }
          keys = await importJwks(jwks)
        } catch {
          // Keep the last good keys.
        } finally {
          fetchedAt = Date.now()
          inFlight = undefined
        }
      })()
    }
    return inFlight
  }

  return async (kid) => {
    const age = Date.now() - fetchedAt
    if (age >= cacheMaxAgeMs || (!keys.has(kid) && age >= cooldownMs)) {
      await refresh()
    }
    return keys.get(kid)
  }
}
