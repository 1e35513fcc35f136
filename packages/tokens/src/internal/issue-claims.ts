/**
 * The claim set of a new user token, from `issueUserToken`'s input: checked user, audience,
 * client, format, lifetime and scope, as RFC 9068 claims.
 *
 * @module
 */
import { isJsonObject, type JsonObject } from '@countersign/core'
import type { IssueUserTokenInput } from '../user-tokens.ts'
import { toMs } from './duration.ts'
import { toStrictJson } from './json.ts'
import { randomId } from './random.ts'
import { userClaims } from './user-claims.ts'
import type { UserTokenFormat } from './verify-user.ts'

/** The issuer's settings a claim set is built with. */
export interface IssueSettings {
  issuer: string
  defaultFormat: UserTokenFormat
  defaultTtlMs: number
  maxTtlMs: number
  maxClaimsBytes: number
  /** Whether opaque tokens can be issued (there is a store). */
  opaque: boolean
  now: () => number
}

/** A checked claim set. */
export interface IssueClaims {
  claims: JsonObject
  format: UserTokenFormat
  clientId: string
  jti: string
  /** `exp`, in unix seconds. */
  exp: number
}

/** A non-empty string of at most `max` characters. @throws `TypeError` naming `name`. */
export function checkString(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new TypeError(`expected ${name} to be a non-empty string of at most ${max} characters`)
  }
  return value
}

function scopeClaim(scope: IssueUserTokenInput['scope']): string | undefined {
  if (scope === undefined) {
    return undefined
  }
  const list = typeof scope === 'string' ? scope.split(' ') : [...scope]
  if (!list.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    throw new TypeError('expected scope to be OAuth scope tokens')
  }
  return list.join(' ')
}

/**
 * Checks `input` and builds its claims.
 *
 * @throws `TypeError`/`RangeError` for an invalid user, audience, TTL, format or scope.
 */
export function issueClaims(input: IssueUserTokenInput, settings: IssueSettings): IssueClaims {
  if (typeof input !== 'object' || input === null || !isJsonObject(input.user)) {
    throw new TypeError('expected input.user to be an object')
  }
  const user = input.user
  const sub = checkString(user.id, 'user.id', 256)
  const audience = checkString(input.audience, 'audience', 256)
  const clientId = checkString(input.clientId ?? audience, 'clientId', 256)
  const format = input.format ?? settings.defaultFormat
  if (format !== 'jwt' && format !== 'opaque') {
    throw new TypeError(`expected format to be 'jwt' or 'opaque', got ${String(format)}`)
  }
  if (format === 'opaque' && !settings.opaque) {
    throw new TypeError('opaque user tokens need a store')
  }
  const ttlMs = input.ttl === undefined ? settings.defaultTtlMs : toMs(input.ttl, 'ttl')
  if (ttlMs > settings.maxTtlMs) {
    throw new RangeError(`expected ttl to be at most ${settings.maxTtlMs} ms`)
  }
  const scope = scopeClaim(input.scope)
  const t = settings.now()
  const iat = Math.floor(t / 1000)
  const exp = Math.floor((t + ttlMs) / 1000)
  const jti = randomId()
  const payload: Record<string, unknown> = {
    iss: settings.issuer,
    sub,
    aud: audience,
    exp,
    iat,
    jti,
    client_id: clientId,
  }
  if (scope !== undefined) {
    payload.scope = scope
  }
  Object.assign(payload, userClaims(user))
  const { value } = toStrictJson(payload, 'user claims', settings.maxClaimsBytes)
  return { claims: value as JsonObject, format, clientId, jti, exp }
}
