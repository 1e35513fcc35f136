/**
 * A cached remote JWKS as a key resolver, on Web APIs only (`fetch`, `AbortSignal`, streams):
 * how a verifier uses the public keys another service publishes at `/.well-known/jwks.json`.
 *
 * @module
 */
import { importKey } from '../crypto/api.ts'
import type { Key } from '../crypto/types.ts'
import { UpstreamError } from '../errors.ts'
import { parseJsonStrict } from '../json/parse-json-strict.ts'
import { readCapped } from '../read-capped.ts'

/** The most keys read from one JWKS; the rest are ignored. */
const MAX_KEYS = 100
/** With no keys held, the least time between two fetches after a failed one, in ms. */
const EMPTY_RETRY_MS = 1000

/** Options for {@link createRemoteJwks}. */
export interface RemoteJwksOptions {
  /** How long fetched keys are used before they are fetched again, in ms. Default 5 minutes. */
  cacheMaxAgeMs?: number
  /** The least time between two fetches caused by an unknown key id, in ms. Default 30 seconds. */
  cooldownMs?: number
  /** The time limit of one fetch, body included, in ms. Default 5000. */
  timeoutMs?: number
  /** The largest JWKS body accepted, in bytes; a larger one is not read past this. Default 64 KiB. */
  maxBytes?: number
  /**
   * Which imported public keys to keep, for example only the algorithms a token format allows.
   * Default: every public key.
   */
  accept?: (key: Key) => boolean
  /** The `fetch` to use. Default `globalThis.fetch`. */
  fetch?: typeof fetch
}

/** Resolves a key id to a public key of the remote JWKS, fetching it when needed. */
export type RemoteJwks = (keyId: string) => Promise<Key | undefined>

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) {
    return fallback
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`expected ${name} to be a non-negative number`)
  }
  return value
}

/** Reads a body as text, giving up (`undefined`) as soon as it passes `maxBytes`. */
async function readCappedText(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {})
    return undefined
  }
  const bytes = await readCapped(response.body, maxBytes)
  return bytes === undefined ? undefined : new TextDecoder('utf-8', { fatal: true }).decode(bytes)
}

/** Imports the usable public signing keys of a parsed JWKS, by key id. */
async function importPublicKeys(
  value: unknown,
  accept: ((key: Key) => boolean) | undefined,
): Promise<Map<string, Key>> {
  const keys = new Map<string, Key>()
  const list = typeof value === 'object' && value !== null ? (value as { keys?: unknown }).keys : []
  if (!Array.isArray(list)) {
    return keys
  }
  for (const jwk of list.slice(0, MAX_KEYS) as unknown[]) {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
      continue
    }
    const { kid, use } = jwk as { kid?: unknown; use?: unknown }
    // Private material never belongs in a published JWKS; encryption keys are not ours to use.
    if ('d' in jwk || 'k' in jwk || (use !== undefined && use !== 'sig')) {
      continue
    }
    // An RSA key without `alg` is for RS256: OIDC's default, and the only RSA JWS algorithm a
    // provider must support (OpenID Connect Discovery 1.0 §3); several providers omit `alg`.
    const rsaDefault = (jwk as { kty?: unknown }).kty === 'RSA' && !('alg' in jwk)
    try {
      const key = await importKey(jwk as JsonWebKey, {
        ...(typeof kid === 'string' ? { keyId: kid } : {}),
        ...(rsaDefault ? { algorithm: 'rsa-v1_5-sha256' as const } : {}),
      })
      if (key.type === 'public' && !keys.has(key.keyId) && (accept === undefined || accept(key))) {
        keys.set(key.keyId, key)
      }
    } catch {
      // A key this build cannot use is skipped.
    }
  }
  return keys
}

/**
 * Creates a key resolver over a JWKS URL. Keys are fetched once and cached; they are fetched
 * again when older than `cacheMaxAgeMs`, or when an unknown key id is asked for, at most once
 * per `cooldownMs` so that a flood of made-up key ids cannot hammer the publisher. Concurrent
 * lookups share one fetch. A failed fetch (network error, non-2xx, redirect, a body over
 * `maxBytes`, invalid JSON, no usable key) keeps the last good keys, however old, so an outage
 * of the publisher does not stop verification. With no good keys to keep, the lookup throws
 * `jwks_unavailable` (503) rather than answer "unknown key": a dependency outage is not a bad
 * credential. While no keys are held, a failed fetch is retried at most once a second.
 *
 * The URL must be https; plain http is allowed for `localhost`, `127.0.0.1` and `[::1]` only.
 *
 * @example
 * ```ts
 * const keys = createRemoteJwks('https://tokens.example/.well-known/jwks.json')
 * const key = await keys('2024-06-01') // a Key, or undefined
 * ```
 *
 * @throws `TypeError` when the URL is not https (or http on loopback), or an option is invalid.
 * @throws {@link UpstreamError} `jwks_unavailable` from a lookup, when the JWKS cannot be fetched
 * and no keys fetched earlier are held.
 */
export function createRemoteJwks(url: string | URL, options: RemoteJwksOptions = {}): RemoteJwks {
  const target = new URL(url)
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(target.hostname)
  if (target.protocol !== 'https:' && !(target.protocol === 'http:' && loopback)) {
    throw new TypeError('expected the JWKS URL to use https (http only for localhost)')
  }
  const cacheMaxAgeMs = positive(options.cacheMaxAgeMs, 300_000, 'cacheMaxAgeMs')
  const cooldownMs = positive(options.cooldownMs, 30_000, 'cooldownMs')
  const timeoutMs = positive(options.timeoutMs, 5000, 'timeoutMs')
  const maxBytes = positive(options.maxBytes, 64 * 1024, 'maxBytes')
  const doFetch = options.fetch ?? globalThis.fetch
  const accept = options.accept

  let keys = new Map<string, Key>()
  let fetchedAt = Number.NEGATIVE_INFINITY
  let failed = false
  let inFlight: Promise<void> | undefined

  const refresh = (): Promise<void> => {
    inFlight ??= (async () => {
      failed = true
      try {
        const response = await doFetch(target, {
          headers: { accept: 'application/jwk-set+json, application/json' },
          // Not 'error': workerd refuses that mode. A redirect then arrives as a 3xx (or, in
          // browsers, an opaque redirect with status 0), which is not `ok`, so it is refused.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        })
        if (!response.ok) {
          await response.body?.cancel().catch(() => {})
          return
        }
        const text = await readCappedText(response, maxBytes)
        if (text === undefined) {
          return
        }
        const fresh = await importPublicKeys(parseJsonStrict(text), accept)
        if (fresh.size > 0) {
          keys = fresh
          failed = false
        }
      } catch {
        // Keep the last good keys.
      } finally {
        fetchedAt = Date.now()
        inFlight = undefined
      }
    })()
    return inFlight
  }

  return async (keyId) => {
    const age = Date.now() - fetchedAt
    const retryMs = keys.size === 0 && failed ? Math.min(cooldownMs, EMPTY_RETRY_MS) : cooldownMs
    if (age >= cacheMaxAgeMs || (!keys.has(keyId) && age >= retryMs)) {
      await refresh()
    }
    if (keys.size === 0 && failed) {
      throw new UpstreamError('jwks_unavailable', 'the JWKS could not be fetched', {
        retryable: true,
      })
    }
    return keys.get(keyId)
  }
}
