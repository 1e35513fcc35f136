/**
 * The relay authenticator for `auth.type: 'countersign'`: Countersign user tokens, verified
 * locally, with a cache of verified tokens.
 *
 * @internal
 * @module
 */
import { fromBase64Url, type Jwks, type KeyValueStore } from '@countersign/core'
import {
  createRemoteJwks,
  isUserTokenRevoked,
  type KeySource,
  type VerifyOffload,
  verifyUserToken,
} from '@countersign/tokens'
import type { CountersignAuth, RelayUser } from '../types.ts'
import { notLoggedIn, tokenFailure } from './auth-failure.ts'
import { bearerTokenOf } from './bearer-token.ts'
import type { HeaderAuthenticator } from './create-authenticator.ts'
import { createTokenCache } from './token-cache.ts'
import { userFromClaims } from './user-from-claims.ts'

/** Default of `auth.cache` for `type: 'countersign'`. */
export const DEFAULT_TOKEN_CACHE = { maxEntries: 10_000, maxAgeMs: 60_000 } as const

type KidLookup = (kid: string) => unknown

/** A `kid` lookup over a key source, as `@countersign/tokens` resolves it. */
function keySourceLookup(source: KeySource): KidLookup {
  if (typeof source === 'function') {
    return source
  }
  if (Array.isArray(source)) {
    const byId = new Map<string, unknown>()
    for (const key of source as readonly { keyId: string }[]) {
      byId.set(key.keyId, key)
    }
    return (kid) => byId.get(kid)
  }
  const holder = source as { get(kid: string): unknown }
  return (kid) => holder.get(kid)
}

/** The `kid` of a compact JWS's protected header, or `undefined`. */
function headerKid(token: string): string | undefined {
  const dot = token.indexOf('.')
  if (dot <= 0) {
    return undefined
  }
  try {
    const header: unknown = JSON.parse(new TextDecoder().decode(fromBase64Url(token.slice(0, dot))))
    const kid = (header as { kid?: unknown } | null)?.kid
    return typeof kid === 'string' ? kid : undefined
  } catch {
    return undefined
  }
}

export function countersignAuthenticator(
  auth: CountersignAuth,
  offload: VerifyOffload | undefined,
  onTokenCache: ((hit: boolean) => void) | undefined,
): HeaderAuthenticator {
  const report = (hit: boolean): void => {
    try {
      onTokenCache?.(hit)
    } catch {
      // A metric hook never fails a request.
    }
  }
  let keys: KeySource | undefined = auth.keys
  let jwks: Jwks | undefined = auth.jwks
  if (auth.jwksUrl !== undefined) {
    keys = createRemoteJwks(auth.jwksUrl)
    jwks = undefined
  }
  const denylist = auth.denylist
  const options = {
    issuer: auth.issuer,
    audience: auth.audience,
    ...(keys === undefined ? {} : { keys }),
    ...(jwks === undefined ? {} : { jwks }),
    ...(denylist === undefined ? {} : { denylist }),
    ...(offload === undefined ? {} : { offload }),
  }
  const verify = async (token: string): Promise<RelayUser> => {
    let verified: Awaited<ReturnType<typeof verifyUserToken>>
    try {
      verified = await verifyUserToken(token, options)
    } catch (error) {
      throw tokenFailure(error)
    }
    const { id, ...rest } = verified.user
    return userFromClaims(id, rest)
  }
  const settings = auth.cache === undefined ? DEFAULT_TOKEN_CACHE : auth.cache
  if (settings === false) {
    return async (authorization) => verify(bearerTokenOf(authorization))
  }
  const cache = createTokenCache({
    maxEntries: settings.maxEntries ?? DEFAULT_TOKEN_CACHE.maxEntries,
    maxAgeMs: settings.maxAgeMs ?? DEFAULT_TOKEN_CACHE.maxAgeMs,
  })
  // What a kid resolves to now: the key object (key ring, keys, resolver, remote JWKS), or for
  // a static JWKS object its JWK (the tokens package imports a JWKS object once).
  const lookup: KidLookup =
    keys !== undefined
      ? keySourceLookup(keys)
      : (kid) => jwks?.keys.find((jwk) => (jwk as { kid?: unknown }).kid === kid)

  const isRevoked = (jti: string): Promise<boolean> =>
    isUserTokenRevoked(denylist as KeyValueStore, jti)

  return async (authorization) => {
    const token = bearerTokenOf(authorization)
    const now = Date.now()
    const hit = cache.get(token, now)
    if (hit !== undefined) {
      let current = lookup(hit.kid)
      if (current instanceof Promise) {
        current = await current
      }
      if (current === hit.key) {
        if (denylist !== undefined && (await isRevoked(hit.jti))) {
          cache.delete(token)
          throw notLoggedIn('the session token is not valid')
        }
        report(true)
        return hit.user
      }
      cache.delete(token)
    }
    report(false)
    // A miss: the full verification, noting which key the token's kid resolved to.
    let usedKid: string | undefined
    let usedKey: unknown
    const capture =
      keys === undefined
        ? options
        : {
            ...options,
            keys: async (kid: string) => {
              const key = await lookup(kid)
              usedKid = kid
              usedKey = key
              return key as Awaited<ReturnType<Extract<KeySource, (kid: string) => unknown>>>
            },
          }
    let verified: Awaited<ReturnType<typeof verifyUserToken>>
    try {
      verified = await verifyUserToken(token, capture)
    } catch (error) {
      throw tokenFailure(error)
    }
    const { id, ...rest } = verified.user
    const user = userFromClaims(id, rest)
    if (keys === undefined) {
      usedKid = headerKid(token)
      usedKey = usedKid === undefined ? undefined : lookup(usedKid)
    }
    if (usedKid !== undefined && usedKey !== undefined && usedKey !== null) {
      cache.set(token, {
        user,
        jti: verified.jti,
        kid: usedKid,
        key: usedKey,
        verifiedAt: now,
        expiresAt: verified.expiresAt.getTime(),
      })
    }
    return user
  }
}
