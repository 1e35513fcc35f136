/**
 * The API-key compatibility preset: the key itself in `Authorization`.
 *
 * @module
 */

/** Options of {@link signApiKey}. */
export interface SignApiKeyOptions {
  /** The API key. */
  apiKey: string
  /** The header to carry it. Default `authorization` (sent as the bare key, as Icypeas expects). */
  header?: string
}

const HEADER_SAFE = /^[\x21-\x7e]+$/
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * Adds an API key to a request (`Authorization: <key>`), for APIs that authenticate with the key
 * alone. This proves nothing about the request itself; prefer {@link signRequest}. The caller's
 * request stays usable.
 *
 * @example
 * ```ts
 * const withKey = await signApiKey(new Request('https://api.example.com/v1/me'), { apiKey })
 * ```
 *
 * @throws `TypeError` when `apiKey` is not visible ASCII or `header` is not a field name.
 */
export async function signApiKey(request: Request, options: SignApiKeyOptions): Promise<Request> {
  if (!(request instanceof Request)) {
    throw new TypeError('expected a Request')
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('signApiKey options must be an object')
  }
  const { apiKey, header = 'authorization' } = options
  if (typeof apiKey !== 'string' || !HEADER_SAFE.test(apiKey) || apiKey.includes(',')) {
    throw new TypeError('apiKey must be visible ASCII without ","')
  }
  if (typeof header !== 'string' || !FIELD_NAME.test(header)) {
    throw new TypeError('header must be an HTTP field name')
  }
  const headers = new Headers(request.headers)
  headers.set(header, apiKey)
  return new Request(request.body === null ? request : request.clone(), { headers })
}
