/**
 * The Icypeas compatibility preset: HMAC-SHA1 over lowercase(method + pathname + timestamp).
 *
 * @module
 */
import { importKey, toHex, utf8 } from '@countersign/core'

/** Options of {@link signIcypeas}. */
export interface SignIcypeasOptions {
  /** The API key, sent before the colon in `Authorization`. */
  apiKey: string
  /** The API secret (the HMAC key, as UTF-8). */
  secret: string
  /** The timestamp to sign. Default now. Sent as ISO 8601 UTC (`2023-03-12T12:01:02.000Z`). */
  timestamp?: Date
}

const HEADER_SAFE = /^[\x21-\x7e]+$/

/**
 * Signs a request the way Icypeas expects (legacy scheme, for compatibility only): the hex
 * HMAC-SHA1, keyed with `secret`, of `lowercase(method + pathname + timestamp)`, sent as
 * `Authorization: <apiKey>:<signature>` with `X-ROCK-TIMESTAMP: <timestamp>`.
 *
 * The scheme covers neither the query nor the body and lowercases the path; prefer
 * {@link signRequest} wherever the server accepts RFC 9421. The caller's request stays usable.
 *
 * @example
 * ```ts
 * const signed = await signIcypeas(
 *   new Request('https://app.icypeas.com/api/a/actions/subscription-information', { method: 'POST' }),
 *   { apiKey: 'test-key', secret: 'test-secret' },
 * )
 * signed.headers.get('authorization') // 'test-key:5d9f…'
 * ```
 *
 * @throws `TypeError` when `apiKey` or `secret` is missing or `apiKey` cannot go in a header.
 */
export async function signIcypeas(request: Request, options: SignIcypeasOptions): Promise<Request> {
  if (!(request instanceof Request)) {
    throw new TypeError('expected a Request')
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('signIcypeas options must be an object')
  }
  const { apiKey, secret, timestamp = new Date() } = options
  if (
    typeof apiKey !== 'string' ||
    !HEADER_SAFE.test(apiKey) ||
    apiKey.includes(':') ||
    apiKey.includes(',')
  ) {
    throw new TypeError('apiKey must be visible ASCII without ":" or ","')
  }
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('secret must be a non-empty string')
  }
  if (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime())) {
    throw new TypeError('timestamp must be a valid Date')
  }
  const iso = timestamp.toISOString()
  const payload = `${request.method}${new URL(request.url).pathname}${iso}`.toLowerCase()
  const key = await importKey(utf8(secret), { algorithm: 'hmac-sha1', keyId: 'icypeas' })
  const data = utf8(payload)
  const mac = key.signSync === undefined ? await key.sign(data) : key.signSync(data)
  const headers = new Headers(request.headers)
  headers.set('authorization', `${apiKey}:${toHex(mac)}`)
  headers.set('x-rock-timestamp', iso)
  return new Request(request.body === null ? request : request.clone(), { headers })
}
