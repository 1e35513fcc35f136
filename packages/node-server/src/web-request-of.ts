/**
 * Building a Web `Request` from checked request parts.
 *
 * @module
 */
import { type FieldLine, RequestError } from '@countersign/core'

/**
 * A Web `Request` for `method` and `url` with `lines` as its headers and `body` (none when
 * `undefined` or empty), or a `RequestError` `malformed` when a field or the request cannot be
 * represented in the Fetch API (a header value `Headers` refuses, a method `Request` refuses).
 *
 * @example
 * ```ts
 * const request = webRequestOf('POST', 'https://api.example/x', fieldLinesOf(req), body)
 * ```
 *
 * @throws never: refusals are returned.
 */
export function webRequestOf(
  method: string,
  url: string,
  lines: readonly FieldLine[],
  body: Uint8Array | undefined,
): Request | RequestError {
  const headers = new Headers()
  try {
    for (const [name, value] of lines) {
      headers.append(name, value)
    }
  } catch {
    return new RequestError('malformed', 'invalid header')
  }
  try {
    return new Request(url, {
      method,
      headers,
      ...(body === undefined || body.byteLength === 0
        ? {}
        : { body: body as Uint8Array<ArrayBuffer> }),
    })
  } catch {
    return new RequestError('malformed', 'invalid request')
  }
}
