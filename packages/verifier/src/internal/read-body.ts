/**
 * Reads a request body once, with a size cap.
 *
 * @module
 */
import { RequestError, readCapped } from '@countersign/core'

/**
 * Reads the whole body of `request`, refusing more than `maxBytes`.
 *
 * @throws RequestError `body_too_large` (413) past the cap (a declared `Content-Length` over the
 *   cap is refused before reading); `malformed` when the body stream fails (the client aborted);
 *   `TypeError` when the body was already read.
 */
export async function readBody(
  request: Request,
  maxBytes: number,
  contentLength: string | null,
): Promise<Uint8Array> {
  const stream = request.body
  if (stream === null) {
    return new Uint8Array(0)
  }
  if (request.bodyUsed) {
    throw new TypeError('the request body has already been read; verify before reading it')
  }
  if (contentLength !== null) {
    const declared = Number(contentLength)
    if (Number.isFinite(declared) && declared > maxBytes) {
      throw new RequestError('body_too_large', `the body is larger than ${maxBytes} bytes`)
    }
  }
  let bytes: Uint8Array | undefined
  try {
    bytes = await readCapped(stream, maxBytes)
  } catch {
    // The client went away mid-body, or the stream broke: a bad request, not a server error.
    throw new RequestError('malformed', 'the request body could not be read')
  }
  if (bytes === undefined) {
    throw new RequestError('body_too_large', `the body is larger than ${maxBytes} bytes`)
  }
  return bytes
}
