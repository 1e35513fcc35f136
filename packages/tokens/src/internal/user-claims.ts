/**
 * The user-token claim set shared by JWT and opaque user tokens: building it from a user,
 * validating it on verification, and mapping it back to a user.
 *
 * @module
 */

import type { JsonObject, JsonValue } from '@countersign/core'
import { importKey, type Jwks, type Key, type KeyValueStore, TokenError } from '@countersign/core'
import type { JwsKeyResolver } from './jws.ts'
import { checkRegisteredClaims } from './registered-claims.ts'
import { guard } from './store-guard.ts'

/** Claims a user object may not set, because the token sets or maps them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'client_id',
  'scope',
  'typ',
  'cnf',
  'act',
  'phone_number',
  'picture',
  'token_type',
  'active',
  'username',
])

/** The user fields with their own names; the rest are copied as claims. */
export const USER_FIELDS: ReadonlySet<string> = new Set(['id', 'name', 'phoneNumber', 'pictureUrl'])

/** The user a token speaks for, as returned by verification. */
export interface TokenUser {
  /** The user id (the `sub` claim). */
  id: string
  /** The display name (`name`). */
  name?: string
  /** The phone number (`phone_number`). */
  phoneNumber?: string
  /** A link to the profile picture (`picture`). */
  pictureUrl?: string
  /** Any other claims given at issue. */
  [claim: string]: unknown
}

/** JTI format: what may go into a denylist key. */
export const JTI_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/

/** Store key of a revoked JWT's id. */
export const denylistKey = (jti: string): string => `cs:ut:jti:${jti}`

/** The verified content of a user token, JWT or opaque. */
export interface VerifiedClaims {
  /** The user the token speaks for. */
  user: TokenUser
  /** The audiences (`aud`); for Kaizala, the first is the action package id. */
  audience: string[]
  /** Who asked for the token (`client_id`): an API key id when issued by the token service. */
  clientId: string
  /** The token's unique id. */
  jti: string
  /** The issuer (`iss`). */
  issuer: string
  /** The space-separated OAuth scopes, if any. */
  scope: string | undefined
  /** When the token expires. */
  expiresAt: Date
  /** When the token was issued. */
  issuedAt: Date
  /** Every claim, as issued. */
  claims: JsonObject
}

const invalid = (message: string): TokenError => new TokenError('token_invalid', message)

/** Options for {@link checkClaims}. */
export interface CheckClaimsOptions {
  issuer: string
  /** Expected audiences (one must match); `undefined` accepts any. */
  audience: readonly string[] | undefined
  nowMs: number
  toleranceMs: number
}

/**
 * Validates an RFC 9068 claim set: the registered claims as every JWT (`iss`, `aud`, `exp`,
 * `iat`, `nbf`), then `sub`, `jti`, `client_id`, `scope`.
 *
 * @throws `TokenError` `token_expired` or `token_invalid`.
 */
export function checkClaims(claims: JsonObject, options: CheckClaimsOptions): VerifiedClaims {
  const { sub, jti, client_id: clientId, scope } = claims
  const registered = checkRegisteredClaims(claims, { ...options, requireIssuedAt: true })
  if (typeof sub !== 'string' || sub.length === 0) {
    throw invalid('token has no subject')
  }
  if (typeof jti !== 'string' || !JTI_PATTERN.test(jti)) {
    throw invalid('token has no usable jti')
  }
  if (typeof clientId !== 'string' || clientId.length === 0) {
    throw invalid('token has no client_id')
  }
  if (scope !== undefined && typeof scope !== 'string') {
    throw invalid('malformed scope')
  }
  return {
    user: userFromClaims(claims, sub),
    audience: registered.audience,
    clientId,
    jti,
    issuer: registered.issuer,
    scope,
    expiresAt: new Date(registered.expiresAtMs),
    issuedAt: new Date(registered.issuedAtMs as number),
    claims,
  }
}

/** Maps claims back to a user: `sub` → `id`, `phone_number` → `phoneNumber`, `picture` → `pictureUrl`. */
export function userFromClaims(claims: JsonObject, sub: string): TokenUser {
  const user: TokenUser = { id: sub }
  for (const [name, value] of Object.entries(claims)) {
    if (RESERVED_CLAIMS.has(name) && name !== 'phone_number' && name !== 'picture') {
      continue
    }
    if (name === 'phone_number') {
      if (typeof value === 'string') {
        user.phoneNumber = value
      }
    } else if (name === 'picture') {
      if (typeof value === 'string') {
        user.pictureUrl = value
      }
    } else if (name === 'name') {
      if (typeof value === 'string') {
        user.name = value
      }
    } else if (name !== 'id') {
      user[name] = value
    }
  }
  return user
}

/**
 * Whether a user token's `jti` is on the issuer's denylist, the store given to
 * `createUserTokens` as `store` (or to `verifyUserToken` as `denylist`). For callers that
 * verify once and check revocation again later, such as a cache of verified tokens.
 *
 * @example
 * ```ts
 * if (await isUserTokenRevoked(store, claims.jti)) throw new Error('revoked')
 * ```
 *
 * @throws `StoreError` `store_unavailable` when the store fails.
 */
export async function isUserTokenRevoked(store: KeyValueStore, jti: string): Promise<boolean> {
  return (await guard(() => store.get(denylistKey(jti)))) !== undefined
}

/** Checks the jti denylist. @throws `TokenError` `token_revoked`. */
export async function checkDenylist(store: KeyValueStore | undefined, jti: string): Promise<void> {
  if (store !== undefined && (await isUserTokenRevoked(store, jti))) {
    throw new TokenError('token_revoked', 'token has been revoked')
  }
}

/** Anything that can resolve a `kid` to a verification key. */
export type KeySource =
  | {
      /** The verification key with this `kid`, or `undefined`. */
      get(kid: string): Key | undefined | Promise<Key | undefined>
    }
  | readonly Key[]
  | JwsKeyResolver

/** Turns a {@link KeySource} into a resolver. */
export function toResolver(source: KeySource): JwsKeyResolver {
  if (typeof source === 'function') {
    return source
  }
  if (Array.isArray(source)) {
    const byId = new Map<string, Key>()
    for (const key of source as readonly Key[]) {
      byId.set(key.keyId, key)
    }
    return (kid) => byId.get(kid)
  }
  if (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as { get?: unknown }).get === 'function'
  ) {
    const holder = source as { get(kid: string): Key | undefined | Promise<Key | undefined> }
    return (kid) => holder.get(kid)
  }
  throw new TypeError(
    'expected keys to be a key ring, signing keys, an array of keys or a resolver',
  )
}

/** Imported once per JWKS object: bench `tokens/user-token JWT verify`, row `verifyUserToken (jwks)`. */
const jwksCache = new WeakMap<object, Promise<Map<string, Key>>>()
const MAX_JWKS_KEYS = 100

/** Imports the signature keys of a JWKS once (cached per JWKS object). Unusable keys are skipped. */
export function jwksResolver(jwks: Jwks): JwsKeyResolver {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
    throw new TypeError('expected jwks to be a JSON Web Key Set ({ keys: [...] })')
  }
  let imported = jwksCache.get(jwks)
  if (imported === undefined) {
    imported = importJwks(jwks)
    jwksCache.set(jwks, imported)
  }
  const ready = imported
  return async (kid) => (await ready).get(kid)
}

/** Imports the usable signature keys of a JWKS, by `kid`. */
export async function importJwks(jwks: Jwks): Promise<Map<string, Key>> {
  const byId = new Map<string, Key>()
  for (const jwk of jwks.keys.slice(0, MAX_JWKS_KEYS)) {
    if (typeof jwk !== 'object' || jwk === null) {
      continue
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') {
      continue
    }
    if (jwk.kty !== 'OKP' && jwk.kty !== 'EC') {
      continue
    }
    if ('d' in jwk) {
      continue
    }
    try {
      const key = await importKey(jwk)
      if (key.algorithm === 'ed25519' || key.algorithm === 'ecdsa-p256-sha256') {
        byId.set(key.keyId, key)
      }
    } catch {
      // Skip keys this library cannot use.
    }
  }
  return byId
}

/** Builds the claims for a user, refusing reserved names. Returns the extra claims only. */
export function userClaims(user: Record<string, unknown>): Record<string, JsonValue | unknown> {
  const claims: Record<string, unknown> = {}
  if (user.name !== undefined) {
    if (typeof user.name !== 'string') {
      throw new TypeError('expected user.name to be a string')
    }
    claims.name = user.name
  }
  if (user.phoneNumber !== undefined) {
    if (typeof user.phoneNumber !== 'string') {
      throw new TypeError('expected user.phoneNumber to be a string')
    }
    claims.phone_number = user.phoneNumber
  }
  if (user.pictureUrl !== undefined) {
    if (typeof user.pictureUrl !== 'string') {
      throw new TypeError('expected user.pictureUrl to be a string')
    }
    claims.picture = user.pictureUrl
  }
  for (const [name, value] of Object.entries(user)) {
    if (USER_FIELDS.has(name) || value === undefined) {
      continue
    }
    if (
      RESERVED_CLAIMS.has(name) ||
      name === '__proto__' ||
      name === 'constructor' ||
      name === 'prototype'
    ) {
      throw new TypeError(`user claim ${JSON.stringify(name)} is reserved`)
    }
    claims[name] = value
  }
  return claims
}
