/**
 * The error for failures the relay reports itself.
 *
 * @module
 */
import { CountersignError, ERROR_CODES, type ErrorCode } from '@countersign/core'

/**
 * The relay refused or failed a request and said so with an RFC 9457 problem and a
 * Countersign `code`: `not_logged_in`, `target_forbidden`, `rate_limited`,
 * `upstream_unreachable`, `upstream_timeout`, `body_too_large`, … A code this version does not
 * know becomes `upstream_error`; `status` is always the status the relay answered.
 *
 * @example
 * ```ts
 * try {
 *   await client.secureRequest({ url, data })
 * } catch (error) {
 *   if (isCountersignError(error, 'target_forbidden')) console.error('register the target')
 * }
 * ```
 */
export class RelayError extends CountersignError {
  /** The relay's request id (`x-request-id`), to find the call in its audit trail. */
  readonly requestId: string | undefined
  /** When the relay asked to wait (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined

  /**
   * @param code - The code the relay sent.
   * @param status - The status the relay answered.
   * @param message - The problem's `detail` (never a secret: the relay puts none there).
   * @param options - The relay's request id and `Retry-After`, in milliseconds.
   */
  constructor(
    code: string,
    status: number,
    message?: string,
    options: { requestId?: string; retryAfterMs?: number } = {},
  ) {
    const known = Object.hasOwn(ERROR_CODES, code)
    super(known ? (code as ErrorCode) : 'upstream_error', message, {
      retryable: status === 429 || status === 503,
    })
    this.name = 'RelayError'
    if (status !== this.status) {
      Object.defineProperty(this, 'status', { value: status })
    }
    this.requestId = options.requestId
    this.retryAfterMs = options.retryAfterMs
  }
}
