/**
 * End-user authentication for the relay: a bearer token checked locally (Countersign user
 * tokens, OIDC JWTs), remotely (RFC 7662 introspection, cached), or by your own hook. Every
 * failure is `not_logged_in` (401); the token never appears in a message.
 *
 * @module
 */
import {
  AuthError,
  type CountersignError,
  digest,
  fromBase64Url,
  isCountersignError,
  type Jwks,
  type KeyValueStore,
  toBase64Url,
  UpstreamError,
  utf8,
} from '@countersign/core'
import {
  createRemoteJwks,
  isUserTokenRevoked,
  type JwtAlgorithm,
  type KeySource,
  type VerifyJwtOptions,
  type VerifyOffload,
  verifyJwt,
  verifyUserToken,
} from '@countersign/tokens'
import { hasControlCharacter } from '../internal/text.ts'
import type {
  CountersignAuth,
  CustomAuth,
  IntrospectionAuth,
  OidcAuth,
  RelayAuth,
  RelayUser,
} from '../types.ts'
import { checkIntrospection } from './check-introspection.ts'
import { createTokenCache } from './token-cache.ts'

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

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i
const MAX_TOKEN_LENGTH = 8192
const MAX_CACHE_ENTRIES = 10_000
/** Leeway for `exp`, `nbf` and `iat`, as `@countersign/tokens` and the OIDC check use. */
const CLOCK_TOLERANCE_MS = 30_000

function notLoggedIn(message: string, cause?: unknown): AuthError {
  return new AuthError('not_logged_in', message, cause === undefined ? {} : { cause })
}

/**
 * The bearer token of a request.
 *
 * @throws {@link @countersign/core!AuthError} `not_logged_in` when there is none or it is malformed.
 */
export function bearerToken(request: Request): string {
  return bearerTokenOf(request.headers.get('authorization'))
}

/**
 * The bearer token of an `Authorization` value (`null` when the header is absent).
 *
 * @throws {@link @countersign/core!AuthError} `not_logged_in` when there is none or it is malformed.
 */
export function bearerTokenOf(header: string | null): string {
  if (header === null) {
    throw notLoggedIn('no Authorization: Bearer token')
  }
  if (header.length > MAX_TOKEN_LENGTH + 16) {
    throw notLoggedIn('the bearer token is too long')
  }
  const match = BEARER.exec(header)
  if (match === null) {
    throw notLoggedIn('the Authorization header is not a single Bearer token')
  }
  return match[1] as string
}

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

function tokenFailure(error: unknown): CountersignError {
  if (isCountersignError(error) && error.code === 'store_unavailable') {
    return error
  }
  if (isCountersignError(error) && error.code === 'token_expired') {
    return notLoggedIn('the session token has expired', error)
  }
  return notLoggedIn('the session token is not valid', error)
}

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

function countersignAuthenticator(
  auth: CountersignAuth,
  offload: VerifyOffload | undefined,
): HeaderAuthenticator {
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
        return hit.user
      }
      cache.delete(token)
    }
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

/**
 * JWT `typ` values a session token may carry: none, `JWT` (ID tokens), `at+jwt` (RFC 9068
 * access tokens), compared without case and without `application/`. Other JWTs signed by the
 * same provider (logout tokens, DPoP proofs, security event tokens) are not sessions.
 */
const SESSION_TYPES: readonly string[] = ['jwt', 'at+jwt']

/** The JWS algorithms an OIDC provider's tokens may use here (all `verifyJwt` checks). */
const OIDC_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'PS512', 'ES256', 'EdDSA', 'Ed25519']

function oidcAlgorithms(configured: readonly string[] | undefined): JwtAlgorithm[] {
  if (configured === undefined) {
    return ['RS256', 'ES256', 'EdDSA']
  }
  const usable = OIDC_ALGORITHMS.filter((alg) => configured.includes(alg))
  if (usable.length === 0) {
    throw new TypeError(`auth.algorithms must include one of ${OIDC_ALGORITHMS.join(', ')}`)
  }
  return usable
}

function oidcAuthenticator(auth: OidcAuth): HeaderAuthenticator {
  // The one JWT path (decision 34): the same JWS and claim checks as Countersign user tokens.
  const options: VerifyJwtOptions = {
    issuer: auth.issuer,
    audience: auth.audience,
    keys: createRemoteJwks(auth.jwksUrl, {
      timeoutMs: 5000,
      cooldownMs: 30_000,
      cacheMaxAgeMs: 600_000,
    }),
    algorithms: oidcAlgorithms(auth.algorithms),
    types: SESSION_TYPES,
    typeOptional: true,
    clockTolerance: CLOCK_TOLERANCE_MS,
    maxTokenLength: MAX_TOKEN_LENGTH,
  }
  return async (authorization) => {
    const token = bearerTokenOf(authorization)
    if (token.length > MAX_TOKEN_LENGTH) {
      throw notLoggedIn('the session token is too long')
    }
    let claims: Record<string, unknown>
    try {
      claims = (await verifyJwt(token, options)).claims
    } catch (error) {
      throw tokenFailure(error)
    }
    return userFromClaims(claims.sub, claims)
  }
}

interface CacheEntry {
  user: RelayUser | undefined
  expiresAt: number
}

function introspectionAuthenticator(auth: IntrospectionAuth): HeaderAuthenticator {
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

function customAuthenticator(auth: CustomAuth): Authenticator {
  return async (request) => {
    let user: RelayUser | null | undefined
    try {
      user = await auth.authenticate(request)
    } catch (error) {
      if (isCountersignError(error)) {
        throw error
      }
      throw notLoggedIn('the request is not authenticated')
    }
    if (user === null || user === undefined) {
      throw notLoggedIn('the request is not authenticated')
    }
    if (typeof user !== 'object') {
      throw notLoggedIn('the request is not authenticated')
    }
    const { user_id: id, ...rest } = user
    return userFromClaims(id, rest)
  }
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
): RelayAuthenticator {
  let fromHeader: HeaderAuthenticator
  switch (auth.type) {
    case 'countersign':
      fromHeader = countersignAuthenticator(auth, offload)
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
