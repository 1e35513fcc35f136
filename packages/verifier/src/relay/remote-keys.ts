/**
 * A cached remote JWKS as a key resolver, Web APIs only: how an API verifies the relay's
 * Ed25519 signatures with the keys the relay publishes at `/.well-known/jwks.json`.
 *
 * @module
 */
import { importKey, type Key } from '@countersign/core'

/** Options of {@link createRelayKeyResolver}. */
export interface RelayKeyResolverOptions {
  /** How long fetched keys are used before a refetch, in milliseconds. Default 5 minutes. */
  cacheMaxAgeMs?: number
  /** The least time between two fetches caused by an unknown `keyid`, in ms. Default 30 seconds. */
  cooldownMs?: number
  /** The time limit of one fetch, in milliseconds. Default 5000. */
  timeoutMs?: number
  /** The largest JWKS accepted, in bytes. Default 64 KiB. */
  maxBytes?: number
  /** The `fetch` to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch
}

/** Resolves a `keyid` to one of the relay's public keys, fetching the JWKS when needed. */
export type RelayKeyResolver = (keyId: string) => Promise<Key | undefined>

async function importJwks(value: unknown): Promise<Map<string, Key>> {
  const keys = new Map<string, Key>()
  if (typeof value !== 'object' || value === null) {
    return keys
  }
  const list = (value as { keys?: unknown }).keys
  if (!Array.isArray(list)) {
    return keys
  }
  for (const jwk of list.slice(0, 100)) {
    if (typeof jwk !== 'object' || jwk === null || typeof jwk.kid !== 'string' || 'd' in jwk) {
      continue
    }
    try {
      const key = await importKey(jwk as JsonWebKey, { keyId: jwk.kid })
      if (key.type === 'public') {
        keys.set(key.keyId, key)
      }
    } catch {
      // A key this build cannot use is skipped.
    }
  }
  return keys
}

/**
 * Creates a resolver over the relay's JWKS URL: keys are fetched once and cached, refetched
 * when stale or when an unknown `keyid` appears (at most once per cooldown, so a flood of
 * made-up key ids cannot hammer the relay), and the last good keys are kept when a fetch fails.
 * The URL must be https (http only for localhost).
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
  const target = new URL(url)
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(target.hostname)
  if (target.protocol !== 'https:' && !(target.protocol === 'http:' && loopback)) {
    throw new TypeError('the relay JWKS URL must use https (http only for localhost)')
  }
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? 300_000
  const cooldownMs = options.cooldownMs ?? 30_000
  const timeoutMs = options.timeoutMs ?? 5000
  const maxBytes = options.maxBytes ?? 64 * 1024
  const doFetch = options.fetch ?? globalThis.fetch
  let keys = new Map<string, Key>()
  let fetchedAt = Number.NEGATIVE_INFINITY
  let inFlight: Promise<void> | undefined

  const refresh = (): Promise<void> => {
    inFlight ??= (async () => {
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(), timeoutMs)
      try {
        const response = await doFetch(target, {
          headers: { accept: 'application/jwk-set+json, application/json' },
          redirect: 'error',
          signal: controller.signal,
        })
        if (!response.ok) {
          return
        }
        const text = await response.text()
        if (text.length > maxBytes) {
          return
        }
        const fresh = await importJwks(JSON.parse(text))
        if (fresh.size > 0) {
          keys = fresh
        }
      } catch {
        // Keep the last good keys.
      } finally {
        clearTimeout(timer)
        fetchedAt = Date.now()
        inFlight = undefined
      }
    })()
    return inFlight
  }

  return async (keyId) => {
    const age = Date.now() - fetchedAt
    if (age >= cacheMaxAgeMs || (!keys.has(keyId) && age >= cooldownMs)) {
      await refresh()
    }
    return keys.get(keyId)
  }
}
