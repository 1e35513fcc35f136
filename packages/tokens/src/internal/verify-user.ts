/**
 * The verification path shared by `verifyUserToken` and `createUserTokens`: JWTs by signature
 * and claims (plus the jti denylist), opaque tokens by their store record.
 *
 * @module
 */
import { isJsonObject, type KeyValueStore, parseJsonStrict, TokenError } from '@countersign/core'
import { type JwsKeyResolver, type VerifyCompactOptions, verifyCompact } from './jws.ts'
import type { ReferenceTokens } from './reference-tokens.ts'
import { checkClaims, checkDenylist, type VerifiedClaims } from './user-claims.ts'

/** The format of a user token. */
export type UserTokenFormat = 'jwt' | 'opaque'

/** A verified user token. */
export interface VerifiedUserToken extends VerifiedClaims {
  /** Whether it was a JWT or an opaque (reference) token. */
  format: UserTokenFormat
}

/** Everything a verification needs. */
export interface UserVerifyContext {
  issuer: string
  audience: readonly string[] | undefined
  resolve: JwsKeyResolver | undefined
  denylist: KeyValueStore | undefined
  opaque: ReferenceTokens | undefined
  algorithms: readonly string[]
  toleranceMs: number
  maxLength: number
  now: () => number
  /** Where signatures are checked (see `VerifyUserTokenOptions.offload`); default inline. */
  offload?: VerifyCompactOptions['offload']
}

/** The `typ` values a user-token JWT may carry (RFC 9068 §2.1). */
const TYPES = ['at+jwt']

/**
 * Verifies a user token of either format.
 *
 * @throws `TokenError` `token_invalid`, `token_expired` or `token_revoked`.
 * @throws `StoreError` `store_unavailable` when the store fails.
 */
export async function verifyUser(
  token: string,
  ctx: UserVerifyContext,
): Promise<VerifiedUserToken> {
  if (typeof token !== 'string' || token.length === 0) {
    throw new TokenError('token_missing', 'no token')
  }
  if (ctx.opaque?.owns(token) === true) {
    const resolved = await ctx.opaque.resolve(token)
    let claims: unknown
    try {
      claims = parseJsonStrict(resolved.payload)
    } catch {
      throw new TokenError('token_invalid', 'token is not valid')
    }
    if (!isJsonObject(claims)) {
      throw new TokenError('token_invalid', 'token is not valid')
    }
    const verified = checkClaims(claims, {
      issuer: ctx.issuer,
      audience: ctx.audience,
      nowMs: ctx.now(),
      toleranceMs: 0,
    })
    return { ...verified, format: 'opaque' }
  }
  if (ctx.resolve === undefined) {
    throw new TokenError('token_invalid', 'token is not valid')
  }
  const { payload } = await verifyCompact(token, {
    resolve: ctx.resolve,
    algorithms: ctx.algorithms,
    types: TYPES,
    maxLength: ctx.maxLength,
    ...(ctx.offload === undefined ? {} : { offload: ctx.offload }),
  })
  const verified = checkClaims(payload, {
    issuer: ctx.issuer,
    audience: ctx.audience,
    nowMs: ctx.now(),
    toleranceMs: ctx.toleranceMs,
  })
  await checkDenylist(ctx.denylist, verified.jti)
  return { ...verified, format: 'jwt' }
}
