/**
 * The error for your API's own non-2xx answers through the relay.
 *
 * @module
 */

/**
 * Your API answered through the relay with a non-2xx status. This is deliberately not a
 * `CountersignError`: nothing in Countersign failed, your API said no. Its body is in `data`.
 *
 * @example
 * ```ts
 * try {
 *   await client.secureRequest({ url, data })
 * } catch (error) {
 *   if (error instanceof ApiError && error.status === 409) showConflict(error.data)
 * }
 * ```
 */
export class ApiError extends Error {
  /** Always `'api_error'`, to tell it apart from Countersign codes. */
  readonly code: 'api_error' = 'api_error'
  /** Your API's status. */
  readonly status: number
  /** Your API's body: parsed JSON for a JSON content type, else text; `null` when empty. */
  readonly data: unknown
  /** The answer's headers (empty for a batch item). */
  readonly headers: Headers
  /** The relay's request id, when it sent one. */
  readonly requestId: string | undefined

  /**
   * @param status - Your API's status.
   * @param data - Your API's parsed body.
   * @param headers - The answer's headers.
   * @param requestId - The relay's request id.
   */
  constructor(status: number, data: unknown, headers: Headers = new Headers(), requestId?: string) {
    super(`the API answered ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.data = data
    this.headers = headers
    this.requestId = requestId
  }
}
