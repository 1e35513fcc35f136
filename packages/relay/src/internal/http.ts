/**
 * HTTP helpers of the relay handler: RFC 9457 problem answers and JSON answers (bodies and
 * media types are read with core's `readRequestBody` and `parseMediaType`).
 *
 * @internal
 * @module
 */
import { type CountersignError, internalProblem, isCountersignError } from '@countersign/core'
import { type RelayAnswer, toResponse } from './relay-answer.ts'

/** Headers on every answer the relay makes itself. */
export const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
})

const INTERNAL_PROBLEM = internalProblem()

/** Converts anything thrown into a Countersign error, or `undefined` for an unexpected error. */
export function asCountersignError(error: unknown): CountersignError | undefined {
  return isCountersignError(error) ? error : undefined
}

/** The problem+json body for an error (a generic 500 for anything that is not coded). */
export function problemBody(error: unknown): Record<string, unknown> {
  const coded = asCountersignError(error)
  return coded === undefined ? { ...INTERNAL_PROBLEM } : { ...coded.toProblem() }
}

/** An RFC 9457 answer for `error`, with extra headers. */
export function problemAnswer(error: unknown, headers: Record<string, string> = {}): RelayAnswer {
  const body = problemBody(error)
  return {
    status: body.status as number,
    headers: { ...BASE_HEADERS, 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(body),
  }
}

/** An RFC 9457 `Response` for `error`, with extra headers. */
export function problemResponse(error: unknown, headers: Record<string, string> = {}): Response {
  return toResponse(problemAnswer(error, headers))
}

/** A JSON answer. */
export function jsonAnswer(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): RelayAnswer {
  return {
    status,
    headers: { ...BASE_HEADERS, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }
}
