/**
 * The relay authenticator for `auth.type: 'oidc'`: an OIDC provider's JWTs, checked against its
 * JWKS.
 *
 * @internal
 * @module
 */
import {
  createRemoteJwks,
  type JwtAlgorithm,
  type VerifyJwtOptions,
  verifyJwt,
} from '@countersign/tokens'
import type { OidcAuth } from '../types.ts'
import { CLOCK_TOLERANCE_MS, MAX_TOKEN_LENGTH, notLoggedIn, tokenFailure } from './auth-failure.ts'
import { bearerTokenOf } from './bearer-token.ts'
import type { HeaderAuthenticator } from './create-authenticator.ts'
import { userFromClaims } from './user-from-claims.ts'

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

export function oidcAuthenticator(auth: OidcAuth): HeaderAuthenticator {
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
