/**
 * Response helpers of the console: JSON, RFC 9457 problems with the console's own codes, and
 * the security headers every console response carries.
 *
 * @module
 */

/** The Content-Security-Policy of every console response: no inline script or style, no network but self. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** Headers on every console response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

/** A failure with an HTTP status and a stable snake_case code, safe to show. */
export class ConsoleError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.name = 'ConsoleError'
    this.status = status
    this.code = code
  }
}

/** A JSON response. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/json', ...headers },
  })
}

/** An RFC 9457 problem response for a console error (anything else is an internal error without detail). */
export function problem(error: unknown): Response {
  const known = error instanceof ConsoleError
  const status = known ? error.status : 500
  const code = known ? error.code : 'internal_error'
  const body = {
    type: `https://countersign.dev/errors#${code}`,
    title: code.replaceAll('_', ' '),
    status,
    code,
    ...(known ? { detail: error.message } : {}),
  }
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/problem+json' },
  })
}
