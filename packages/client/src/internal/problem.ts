/**
 * Telling Countersign problem answers apart from everything else.
 *
 * @internal
 * @module
 */
import { CountersignError, ERROR_CODES, type ErrorCode } from '@countersign/core'

const CODE = /^[a-z][a-z0-9_]{0,63}$/
/** Printable text only, capped: a problem's detail goes into an error message. */
const UNPRINTABLE = /[^\x20-\x7e]/g

/** A problem object from a Countersign service. */
export interface Problem {
  code: string
  status: number
  detail: string | undefined
}

/**
 * Reads `value` as a Countersign problem: an object whose `type` is an absolute http(s) URI
 * ending in `/<code>` or `#<code>` (services choose the base, default
 * `https://countersign.dev/errors/`) and whose `code` is a code. `undefined` for anything else (your API's own answers).
 */
export function asProblem(value: unknown): Problem | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined
  }
  const { type, code, status, detail } = value as Record<string, unknown>
  if (typeof type !== 'string' || typeof code !== 'string' || !CODE.test(code)) {
    return undefined
  }
  if (
    !(type.endsWith(`/${code}`) || type.endsWith(`#${code}`)) ||
    !/^https?:\/\/[^\s]+$/.test(type)
  ) {
    return undefined
  }
  return {
    code,
    status: typeof status === 'number' && Number.isInteger(status) ? status : 0,
    detail: typeof detail === 'string' ? safeText(detail) : undefined,
  }
}

/** A server-supplied text made safe for an error message: printable ASCII, at most 200 chars. */
export function safeText(text: string): string {
  const clean = text.replace(UNPRINTABLE, '?')
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean
}

/** Whether `code` is a Countersign error code this version knows. */
export function isKnownCode(code: string | null | undefined): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)
}

/** A Countersign error for a service's failure: its code when known, else `fallback`. */
export function serviceError(
  code: string | null | undefined,
  fallback: ErrorCode,
  message: string | undefined,
  status: number,
): CountersignError {
  return new CountersignError(isKnownCode(code) ? code : fallback, message, {
    retryable: status === 429 || status === 503,
  })
}
