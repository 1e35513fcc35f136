/**
 * Reading a W3C Trace Context `traceparent` header.
 *
 * @module
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x21-\x7e]*)?$/
const ZEROS = /^0+$/

/** A valid `traceparent` and its parts. */
export interface Traceparent {
  /** The header value, to forward as is. */
  value: string
  /** The trace id: 32 lower-case hex digits, not all zero. */
  traceId: string
  /** The caller's span id: 16 lower-case hex digits, not all zero. */
  parentId: string
}

/**
 * Reads a W3C Trace Context `traceparent` value (`00-<trace id>-<parent id>-<flags>`), or
 * `undefined` for anything else: a missing header, upper-case hex, all-zero ids, version
 * `ff`, extra fields on version `00`, several values joined by a comma, or more than 512
 * characters. Forward only what this accepts.
 *
 * @example
 * ```ts
 * traceparentOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.traceId
 * // '4bf92f3577b34da6a3ce929d0e0e4736'
 * ```
 *
 * @throws never.
 */
export function traceparentOf(value: string | null | undefined): Traceparent | undefined {
  if (typeof value !== 'string' || value.length > 512) {
    return undefined
  }
  const match = TRACEPARENT.exec(value)
  if (match === null) {
    return undefined
  }
  const [, version, traceId, parentId, , rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ]
  if (version === 'ff' || (version === '00' && rest !== undefined)) {
    return undefined
  }
  if (ZEROS.test(traceId) || ZEROS.test(parentId) || value.includes(',')) {
    return undefined
  }
  return { value, traceId, parentId }
}
