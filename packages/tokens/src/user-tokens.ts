/**
 * User tokens: short-lived tokens that say which user an API call is made for, as Kaizala's
 * integration service token does. JWTs (RFC 9068 access-token profile, EdDSA or ES256, `kid`
 * from rotating signing keys) verify offline against the JWKS; opaque tokens are stored hashed
 * and checked by introspection. Both can be revoked before they expire.
 *
 * @module
 */
import {
  type ConsumeOnceStore,
  type Jwks,
  type Key,
  type KeyRing,
  type KeyValueStore,
  TokenError,
} from '@countersign/core'
import {
  DEFAULT_MAX_TOKEN_LENGTH,
  type Duration,
  toleranceToMs,
  toMs,
} from './internal/duration.ts'
import { checkString, type IssueSettings, issueClaims } from './internal/issue-claims.ts'
import { jwsAlgOf, signCompact, USER_TOKEN_ALGS } from './internal/jws.ts'
import { createReferenceTokens } from './internal/reference-tokens.ts'
import { guard } from './internal/store-guard.ts'
import { denylistKey } from './internal/user-claims.ts'
import {
  type UserTokenFormat,
  type UserVerifyContext,
  type VerifiedUserToken,
  verifyUser,
} from './internal/verify-user.ts'
import type { SigningKeys } from './signing-keys.ts'

/** The secret prefix of opaque user tokens. */
export const USER_TOKEN_PREFIX = 'cs_ut'

/** Options for {@link createUserTokens}. */
export interface UserTokensOptions {
  /** The `iss` of every token, e.g. `https://tokens.example`. */
  issuer: string
  /** Signing keys: {@link createSigningKeys} (rotating, recommended) or a core key ring. */
  keys: SigningKeys | KeyRing
  /** Store for opaque tokens and the JWT revocation denylist. Without it, only JWTs, and no revocation. */
  store?: KeyValueStore & ConsumeOnceStore
  /** The default format. Default `'jwt'`. */
  format?: UserTokenFormat
  /** Lifetime when `issueUserToken` is given none. Default `'30m'` (as Kaizala's tokens). */
  defaultTtl?: Duration
  /** The longest lifetime accepted. Default `'12h'`; must fit inside the signing keys' overlap. */
  maxTtl?: Duration
  /** Leeway for `exp`, `nbf` and `iat` on verification. Default 30 seconds. */
  clockTolerance?: Duration
  /** Largest claim set accepted, in bytes of JSON. Default 4 KiB. */
  maxClaimsBytes?: number
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
}

/** The user a token is issued for. Fields other than the four named ones become claims. */
export interface UserTokenUser {
  /** The user id, the `sub` claim. */
  id: string
  /** Display name (`name`). */
  name?: string
  /** Phone number (`phone_number`). */
  phoneNumber?: string
  /** Profile picture URL (`picture`). */
  pictureUrl?: string
  /** Further JSON claims; reserved names (`iss`, `sub`, `aud`, `exp`, …) are refused. */
  [claim: string]: unknown
}

/** Input of {@link UserTokens.issueUserToken}. */
export interface IssueUserTokenInput {
  /** Who the token speaks for. */
  user: UserTokenUser
  /** The audience (`aud`): the API or action package the token is for. */
  audience: string
  /** Lifetime. Default: the factory's `defaultTtl` (30 minutes). */
  ttl?: Duration
  /** `'jwt'` (verifiable offline) or `'opaque'` (stored, checked by introspection). */
  format?: UserTokenFormat
  /** The `client_id` claim: who asked for the token. Default: the audience. */
  clientId?: string
  /** OAuth scopes, space-separated in the `scope` claim. */
  scope?: string | readonly string[]
}

/** A newly issued user token. */
export interface IssuedUserToken {
  /** The token: a compact JWT or `cs_ut_…`. */
  token: string
  /** Its format. */
  format: UserTokenFormat
  /** How to present it (`Authorization: Bearer`). */
  tokenType: 'Bearer'
  /** When it expires. */
  expiresAt: Date
  /** Its unique id (`jti`), for logs and revocation. */
  jti: string
}

/** The RFC 7662 answer for a token that is not active: exactly `{ active: false }`. */
export interface InactiveIntrospection {
  /** Always `false`; nothing else is said about an inactive token. */
  active: false
}

/** The RFC 7662 answer for an active token: its claims. */
export interface ActiveIntrospection {
  /** Always `true`. */
  active: true
  /** The issuer. */
  iss: string
  /** The user id. */
  sub: string
  /** The audience(s). */
  aud: string | string[]
  /** Expiry, unix seconds. */
  exp: number
  /** Issue time, unix seconds. */
  iat: number
  /** The token id. */
  jti: string
  /** The client the token was issued to. */
  client_id: string
  /** Always `Bearer`. */
  token_type: 'Bearer'
  /** Space-separated scopes, if any. */
  scope?: string
  /** The user claims (`name`, `phone_number`, `picture`, and any others given at issue). */
  [claim: string]: unknown
}

/**
 * An RFC 7662 introspection response. An inactive token (unknown, malformed, expired or
 * revoked) is exactly `{ active: false }`.
 */
export type IntrospectionResponse = InactiveIntrospection | ActiveIntrospection

/** Issues, verifies, introspects and revokes user tokens. Create with {@link createUserTokens}. */
export interface UserTokens {
  /** The issuer (`iss`). */
  readonly issuer: string
  /**
   * Issues a token for a user.
   *
   * @throws `TypeError`/`RangeError` for an invalid user, audience, TTL or format (an opaque
   *   token needs a store).
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  issueUserToken(input: IssueUserTokenInput): Promise<IssuedUserToken>
  /**
   * Verifies a token of either format issued here. Without `audience`, any audience is accepted
   * (for the issuer's own routes); an API should always pass its audience.
   *
   * @throws `TokenError` `token_missing`, `token_invalid`, `token_expired` or `token_revoked`.
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  verifyUserToken(
    token: string,
    options?: { audience?: string | readonly string[] },
  ): Promise<VerifiedUserToken>
  /**
   * RFC 7662 introspection: the token's claims with `active: true`, or exactly `{ active: false }`.
   *
   * @throws `StoreError` `store_unavailable` when the store fails (never for a bad token).
   */
  introspect(token: string): Promise<IntrospectionResponse>
  /**
   * Revokes a token until it expires: a JWT's `jti` goes on the denylist, an opaque token's
   * record is marked. Returns `false` for a token that is not valid (or, with `clientId`, was
   * issued to another client).
   *
   * @throws `TypeError` when there is no store.
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  revoke(token: string, options?: { clientId?: string }): Promise<boolean>
  /** The public JWKS of the signing keys. */
  jwks(): Promise<Jwks>
}

function isSigningKeys(keys: SigningKeys | KeyRing): keys is SigningKeys {
  return typeof (keys as SigningKeys).current === 'function'
}

/** The checked options: the issue settings, the clock leeway, the keys. */
function settingsOf(options: UserTokensOptions): {
  issue: Omit<IssueSettings, 'opaque'>
  toleranceMs: number
  keys: SigningKeys | KeyRing
} {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('expected options')
  }
  const issuer = checkString(options.issuer, 'options.issuer', 512)
  const keys = options.keys
  if (typeof keys !== 'object' || keys === null || typeof keys.get !== 'function') {
    throw new TypeError('expected options.keys to be signing keys or a key ring')
  }
  const defaultTtlMs = toMs(options.defaultTtl ?? '30m', 'defaultTtl')
  const maxTtlMs = toMs(options.maxTtl ?? '12h', 'maxTtl')
  const toleranceMs = toleranceToMs(options.clockTolerance)
  if (defaultTtlMs > maxTtlMs) {
    throw new RangeError('expected defaultTtl to be at most maxTtl')
  }
  if (isSigningKeys(keys) && maxTtlMs + toleranceMs > keys.overlapMs) {
    throw new RangeError(
      'expected maxTtl (plus the clock tolerance) to fit inside the signing keys overlapMs, or tokens would outlive their key in the JWKS',
    )
  }
  const issue = {
    issuer,
    defaultFormat: options.format ?? 'jwt',
    defaultTtlMs,
    maxTtlMs,
    maxClaimsBytes: options.maxClaimsBytes ?? 4096,
    now: options.now ?? Date.now,
  }
  return { issue, toleranceMs, keys }
}

/**
 * Creates a user-token issuer.
 *
 * @example
 * ```ts
 * const tokens = createUserTokens({ issuer: 'https://tokens.example', keys: createSigningKeys(), store })
 * const { token } = await tokens.issueUserToken({
 *   user: { id: 'u_123', name: 'Ada' },
 *   audience: 'my-action-package',
 * })
 * const { user } = await tokens.verifyUserToken(token, { audience: 'my-action-package' })
 * ```
 *
 * @throws `TypeError`/`RangeError` when an option is invalid.
 */
export function createUserTokens(options: UserTokensOptions): UserTokens {
  const { issue, toleranceMs, keys } = settingsOf(options)
  const { issuer, now } = issue
  const store = options.store
  const opaque =
    store === undefined
      ? undefined
      : createReferenceTokens({
          store,
          prefix: USER_TOKEN_PREFIX,
          namespace: 'cs:ut:',
          info: 'countersign user token v1',
          retentionMs: 3_600_000,
          now,
        })

  const signingKey = async (): Promise<Key> =>
    isSigningKeys(keys) ? keys.current() : keys.signingKey()
  const resolve = (kid: string): Key | undefined | Promise<Key | undefined> => keys.get(kid)

  const context = (audience: readonly string[] | undefined): UserVerifyContext => ({
    issuer,
    audience,
    resolve,
    denylist: store,
    opaque,
    algorithms: USER_TOKEN_ALGS,
    toleranceMs,
    maxLength: DEFAULT_MAX_TOKEN_LENGTH,
    now,
  })

  const settings: IssueSettings = { ...issue, opaque: opaque !== undefined }

  const verifyAny = (token: string): Promise<VerifiedUserToken> =>
    verifyUser(token, context(undefined))

  return {
    issuer,

    async issueUserToken(input) {
      const { claims, format, clientId, jti, exp } = issueClaims(input, settings)
      let token: string
      if (format === 'jwt') {
        const key = await signingKey()
        const header = { alg: jwsAlgOf(key), typ: 'at+jwt', kid: key.keyId }
        token = await signCompact(key, header, claims)
      } else {
        token = await (opaque as NonNullable<typeof opaque>).issue(JSON.stringify(claims), {
          expiresAt: exp * 1000,
          clientId,
        })
      }
      return { token, format, tokenType: 'Bearer', expiresAt: new Date(exp * 1000), jti }
    },

    verifyUserToken(token, verifyOptions = {}) {
      const audience = verifyOptions.audience
      return verifyUser(
        token,
        context(
          audience === undefined ? undefined : typeof audience === 'string' ? [audience] : audience,
        ),
      )
    },

    async introspect(token) {
      let verified: VerifiedUserToken
      try {
        verified = await verifyAny(token)
      } catch (error) {
        if (error instanceof TokenError) {
          return { active: false }
        }
        throw error
      }
      return { active: true, ...verified.claims, token_type: 'Bearer' } as IntrospectionResponse
    },

    async revoke(token, revokeOptions = {}) {
      if (store === undefined || opaque === undefined) {
        throw new TypeError('revoking user tokens needs a store')
      }
      if (typeof token !== 'string') {
        return false
      }
      if (opaque.owns(token)) {
        return opaque.revoke(token, revokeOptions)
      }
      let verified: VerifiedUserToken
      try {
        verified = await verifyAny(token)
      } catch (error) {
        if (error instanceof TokenError) {
          return error.code === 'token_revoked'
        }
        throw error
      }
      if (revokeOptions.clientId !== undefined && verified.clientId !== revokeOptions.clientId) {
        return false
      }
      const ttlMs = Math.max(verified.expiresAt.getTime() - now(), 0) + toleranceMs + 1000
      await guard(() => store.set(denylistKey(verified.jti), '1', { ttlMs }))
      return true
    },

    async jwks() {
      return keys.jwks()
    },
  }
}
