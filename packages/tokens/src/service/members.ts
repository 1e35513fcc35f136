/**
 * Checks of the token service's JSON bodies, member by member. A refusal is a
 * {@link MemberError}: `400 malformed` whose problem answer names the member in `member` (dotted)
 * and `pointer` (RFC 6901).
 *
 * @internal
 * @module
 */
import { isJsonObject, type JsonObject, type JsonValue, RequestError } from '@countersign/core'

/** The longest member name repeated in an answer; longer names are cut. */
const MAX_NAME = 64

/** A `malformed` request error about one member of a JSON body. */
export class MemberError extends RequestError {
  /** The member, as a dotted path (`rateLimit.limit`). */
  readonly member: string
  /** The member as an RFC 6901 JSON Pointer (`/rateLimit/limit`). */
  readonly pointer: string
  constructor(path: readonly string[], message: string) {
    const names = path.map((name) =>
      name.length > MAX_NAME ? `${name.slice(0, MAX_NAME)}…` : name,
    )
    const member = names.join('.')
    super('malformed', `${JSON.stringify(member)}: ${message}`)
    this.name = 'MemberError'
    this.member = member
    this.pointer = names
      .map((name) => `/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`)
      .join('')
  }
}

/** The problem extension members of `error` (`member`, `pointer`), when it names one. */
export function memberExtensions(error: unknown): Record<string, string> {
  return error instanceof MemberError ? { member: error.member, pointer: error.pointer } : {}
}

/**
 * Refuses members of `body` not in `allowed`; `path` locates `body` in the request.
 *
 * @throws {@link MemberError} for the first unknown member.
 */
export function onlyMembers(
  body: JsonObject,
  allowed: readonly string[],
  path: readonly string[] = [],
): void {
  for (const name of Object.keys(body)) {
    if (!allowed.includes(name)) {
      throw new MemberError(
        [...path, name],
        allowed.length === 0
          ? 'unknown member (this body takes no members)'
          : `unknown member (expected ${allowed.join(', ')})`,
      )
    }
  }
}

/** Bounds of an integer member. */
export interface IntegerRange {
  min: number
  max: number
}

/**
 * Reads an optional integer member: absent (`undefined`) or a whole number within `range`.
 * `null` counts as absent only when `nullable` is set.
 *
 * @throws {@link MemberError} for a wrong type, a fraction, or a value outside the range.
 */
export function integerMember(
  value: JsonValue | undefined,
  path: readonly string[],
  range: IntegerRange,
): number | undefined {
  if (value === undefined) {
    return undefined
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new MemberError(path, `expected an integer from ${range.min} to ${range.max}`)
  }
  if (value < range.min || value > range.max) {
    throw new MemberError(
      path,
      `out of range: expected an integer from ${range.min} to ${range.max}`,
    )
  }
  return value
}

/**
 * Reads an optional member of one JSON type (`'string'`, `'boolean'`, `'object'`, `'array'`).
 *
 * @throws {@link MemberError} when present with another type (`null` included).
 */
export function typedMember<T extends 'string' | 'boolean' | 'object' | 'array'>(
  value: JsonValue | undefined,
  path: readonly string[],
  type: T,
):
  | (T extends 'string'
      ? string
      : T extends 'boolean'
        ? boolean
        : T extends 'object'
          ? JsonObject
          : JsonValue[])
  | undefined {
  if (value === undefined) {
    return undefined
  }
  const ok =
    type === 'object'
      ? isJsonObject(value)
      : type === 'array'
        ? Array.isArray(value)
        : typeof value === type
  if (!ok) {
    throw new MemberError(
      path,
      `expected ${type === 'array' || type === 'object' ? 'an' : 'a'} ${type}`,
    )
  }
  return value as never
}

/** A library message such as `expected rateLimit.limit to be …`, read as the member it names. */
const NAMED = /^expected ([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*) /

/**
 * Turns a library's `TypeError`/`RangeError` about caller input into a `malformed` error; when
 * its message names one of the body's `members`, into a {@link MemberError} for it.
 */
export function badInput(error: TypeError | RangeError, members: readonly string[]): RequestError {
  const message = error.message.slice(0, 200)
  const named = NAMED.exec(message)?.[1]?.split('.')
  if (named !== undefined && members.includes(named[0] as string)) {
    return new MemberError(named, message)
  }
  return new RequestError('malformed', message)
}

/** The latest accepted time: 9999-12-31T23:59:59Z, in unix seconds. */
export const MAX_UNIX_SECONDS = 253_402_300_799

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

/** Milliseconds since the epoch of an RFC 3339 date-time, or `undefined` when it is not one. */
function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text)
  if (m === null) {
    return undefined
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[]
  const daysInMonth = new Date(Date.UTC(year as number, month as number, 0)).getUTCDate()
  const offsetOk = m[7] === undefined || (Number(m[8]) <= 23 && Number(m[9]) <= 59)
  if (
    (month as number) < 1 ||
    (month as number) > 12 ||
    (day as number) < 1 ||
    (day as number) > daysInMonth ||
    (hour as number) > 23 ||
    (minute as number) > 59 ||
    (second as number) > 59 ||
    !offsetOk
  ) {
    return undefined
  }
  return Date.parse(text.toUpperCase())
}

/**
 * Reads an optional point in time: unix seconds (an integer) or an RFC 3339 date-time string,
 * strictly after `nowMs` and at most {@link MAX_UNIX_SECONDS}. Returns epoch milliseconds.
 *
 * @throws {@link MemberError} for another type, a bad date, or a time outside the range.
 */
export function futureTimeMember(
  value: JsonValue | undefined,
  path: readonly string[],
  nowMs: number,
): number | undefined {
  if (value === undefined) {
    return undefined
  }
  const expected = 'expected unix seconds (an integer) or an RFC 3339 date-time'
  let ms: number | undefined
  if (typeof value === 'number') {
    ms = Number.isInteger(value) ? value * 1000 : undefined
  } else if (typeof value === 'string') {
    ms = parseRfc3339(value)
  }
  if (ms === undefined || Number.isNaN(ms)) {
    throw new MemberError(path, expected)
  }
  if (ms <= nowMs || ms > MAX_UNIX_SECONDS * 1000) {
    throw new MemberError(
      path,
      'out of range: expected a time in the future, before the year 10000',
    )
  }
  return ms
}
