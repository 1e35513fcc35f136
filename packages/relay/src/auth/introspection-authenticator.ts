/**
 * The relay authenticator for `auth.type: 'introspection'`: RFC 7662 token introspection,
 * cached, one request per token at a time.
 *
 * @internal
 * @module
 */
import { digest, toBase64Url, UpstreamError, utf8 } from '@countersign/core'
import type { IntrospectionAuth, RelayUser } from '../types.ts'
import { CLOCK_TOLERANCE_MS, notLoggedIn } from './auth-failure.ts'
import { bearerTokenOf } from './bearer-token.ts'
import { checkIntrospection } from './check-introspection.ts'
import type { HeaderAuthenticator } from './create-authenticator.ts'
import { userFromClaims } from './user-from-claims.ts'

const MAX_CACHE_ENTRIES = 10_000

interface CacheEntry {
  user: RelayUser | undefined
  expiresAt: number
}

export function introspectionAuthenticator(auth: IntrospectionAuth): HeaderAuthenticator {
  const cacheMs = auth.cacheMs ?? 30_000
  const timeoutMs = auth.timeoutMs ?? 5000
  const audience: readonly string[] =
    typeof auth.audience === 'string' ? [auth.audience] : [...auth.audience]
  const cache = new Map<string, CacheEntry>()
  const inFlight = new Map<string, Promise<CacheEntry>>()

  const remember = (key: string, entry: CacheEntry): void => {
    if (cacheMs <= 0) {
      return
    }
    if (cache.size >= MAX_CACHE_ENTRIES) {
      const now = Date.now()
      for (const [k, v] of cache) {
        if (v.expiresAt <= now) {
          cache.delete(k)
        }
      }
      while (cache.size >= MAX_CACHE_ENTRIES) {
        const oldest = cache.keys().next().value
        if (oldest === undefined) {
          break
        }
        cache.delete(oldest)
      }
    }
    cache.set(key, entry)
  }

  const introspect = async (token: string): Promise<CacheEntry> => {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    let response: Response
    try {
      response = await fetch(auth.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${auth.apiKey}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        redirect: 'error',
        signal: controller.signal,
      })
    } catch {
      clearTimeout(timer)
      throw new UpstreamError(
        'upstream_unreachable',
        'could not reach the token introspection endpoint',
      )
    }
    let text: string
    try {
      text = await response.text()
    } catch {
      throw new UpstreamError(
        'upstream_unreachable',
        'could not read the token introspection answer',
      )
    } finally {
      clearTimeout(timer)
    }
    if (!response.ok || text.length > 64 * 1024) {
      throw new UpstreamError('upstream_error', 'the token introspection endpoint failed')
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new UpstreamError('upstream_error', 'the token introspection answer is not JSON')
    }
    const now = Date.now()
    const checked = checkIntrospection(body, {
      issuer: auth.issuer,
      audience,
      nowMs: now,
      toleranceMs: CLOCK_TOLERANCE_MS,
    })
    if (!checked.ok) {
      return { user: undefined, expiresAt: now + cacheMs }
    }
    const user = userFromClaims(checked.claims.sub, checked.claims)
    return { user, expiresAt: Math.min(now + cacheMs, checked.expiresAtMs) }
  }

  return async (authorization) => {
    const token = bearerTokenOf(authorization)
    const key = toBase64Url(await digest('sha-256', utf8(token)))
    const now = Date.now()
    let entry = cache.get(key)
    if (entry !== undefined && entry.expiresAt <= now) {
      cache.delete(key)
      entry = undefined
    }
    if (entry === undefined) {
      let pending = inFlight.get(key)
      if (pending === undefined) {
        pending = introspect(token).finally(() => inFlight.delete(key))
        inFlight.set(key, pending)
      }
      entry = await pending
      remember(key, entry)
    }
    if (entry.user === undefined) {
      throw notLoggedIn('the session token is not active')
    }
    return entry.user
  }
}
