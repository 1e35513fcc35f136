/**
 * The checks an RFC 7662 introspection answer must pass before the relay forwards its user:
 * the same issuer, audience, token type and time checks a locally verified JWT gets, so an
 * active token the shared token service issued to another app is refused here too.
 *
 * @internal
 * @module
 */

/** What an answer is checked against. */
export interface IntrospectionExpectation {
  /** The expected `iss`. */
  issuer: string
  /** The accepted audiences (one of the answer's `aud` must be among them). */
  audience: readonly string[]
  /** Now, in ms since the epoch. */
  nowMs: number
  /** Leeway for `exp`, `nbf` and `iat`, in ms. */
  toleranceMs: number
}

/** The outcome: the claims to build the user from and until when they hold, or why not. */
export type IntrospectionCheck =
  | { ok: true; claims: Record<string, unknown>; expiresAtMs: number }
  | { ok: false; reason: string }

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value)

function audiences(aud: unknown): readonly string[] | undefined {
  if (typeof aud === 'string' && aud.length > 0) {
    return [aud]
  }
  if (
    Array.isArray(aud) &&
    aud.length > 0 &&
    aud.every((a) => typeof a === 'string' && a.length > 0)
  ) {
    return aud as string[]
  }
  return undefined
}

/**
 * Checks a parsed introspection answer: `active` is exactly `true`, `token_type` is `Bearer`
 * (an access token, not a parameter or refresh token), `iss` is the expected issuer, one `aud`
 * is an expected audience, `exp` is present and not past, `nbf` and `iat` (when present) are
 * not in the future.
 */
export function checkIntrospection(
  body: unknown,
  expect: IntrospectionExpectation,
): IntrospectionCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'the answer is not an object' }
  }
  const claims = body as Record<string, unknown>
  if (claims.active !== true) {
    return { ok: false, reason: 'the token is not active' }
  }
  if (typeof claims.token_type !== 'string' || claims.token_type.toLowerCase() !== 'bearer') {
    return { ok: false, reason: 'the token is not a bearer access token' }
  }
  if (claims.iss !== expect.issuer) {
    return { ok: false, reason: 'the token has another issuer' }
  }
  const aud = audiences(claims.aud)
  if (aud === undefined || !aud.some((a) => expect.audience.includes(a))) {
    return { ok: false, reason: 'the token is for another audience' }
  }
  const { nowMs, toleranceMs } = expect
  if (!isTime(claims.exp) || claims.exp * 1000 <= nowMs - toleranceMs) {
    return { ok: false, reason: 'the token has no expiry or has expired' }
  }
  if (
    claims.nbf !== undefined &&
    (!isTime(claims.nbf) || claims.nbf * 1000 > nowMs + toleranceMs)
  ) {
    return { ok: false, reason: 'the token is not valid yet' }
  }
  if (
    claims.iat !== undefined &&
    (!isTime(claims.iat) || claims.iat * 1000 > nowMs + toleranceMs)
  ) {
    return { ok: false, reason: 'the token was issued in the future' }
  }
  return { ok: true, claims, expiresAtMs: claims.exp * 1000 }
}
