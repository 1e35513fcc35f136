/**
 * Response helpers for the token service: JSON, RFC 9457 problem details, and the plain
 * `{ message }` errors of the Kudo and Kaizala compatibility routes.
 *
 * @module
 */
import {
  type CountersignError,
  type ErrorCode,
  internalProblem,
  isCountersignError,
  RateLimitError,
} from '@countersign/core'

const BASE_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
}

/** The header carrying the stable error code on compatibility routes, whose bodies are fixed. */
export const ERROR_CODE_HEADER = 'countersign-error'

/** A JSON response with `no-store` caching unless overridden. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...BASE_HEADERS, 'content-type': 'application/json', ...headers },
  })
}

/** An empty response. */
export function empty(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { ...BASE_HEADERS, ...headers } })
}

/** The code and status of any failure: Countersign errors keep theirs, anything else is internal. */
export function classify(error: unknown): { code: ErrorCode | 'internal_error'; status: number } {
  if (isCountersignError(error)) {
    return { code: error.code, status: error.status }
  }
  return { code: 'internal_error', status: 500 }
}

/** Extra headers an error implies (`Retry-After`, `WWW-Authenticate`). */
export function errorHeaders(error: unknown): Record<string, string> {
  const headers: Record<string, string> = {}
  if (error instanceof RateLimitError) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)))
  }
  if (isCountersignError(error) && error.status === 401) {
    headers['www-authenticate'] = 'Bearer'
  }
  if (isCountersignError(error) && error.status === 503) {
    headers['retry-after'] = '1'
  }
  return headers
}

/** An RFC 9457 `application/problem+json` response for `error`, with optional extension members. */
export function problem(error: unknown, extensions: Record<string, unknown> = {}): Response {
  const { status } = classify(error)
  const body: Record<string, unknown> = isCountersignError(error)
    ? { ...(error as CountersignError).toProblem() }
    : { ...internalProblem() }
  Object.assign(body, extensions)
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      ...BASE_HEADERS,
      'content-type': 'application/problem+json',
      ...errorHeaders(error),
    },
  })
}

/** A compatibility-route error: `{ "message": "…" }` with the code in a header. */
export function messageError(
  status: number,
  message: string,
  code: string,
  headers: Record<string, string> = {},
): Response {
  return json(status, { message }, { [ERROR_CODE_HEADER]: code, ...headers })
}
