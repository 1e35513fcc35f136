/**
 * Reading a Web `Request` body once, with a size cap: the one rule every Countersign handler
 * of untrusted bodies (verifier, tokens service, relay) applies.
 *
 * @module
 */
import { RequestError } from './errors.ts'
import { readCapped } from './read-capped.ts'

/** A `Content-Length` value: one number of at most 15 digits (no sign, list or spaces). */
const CONTENT_LENGTH = /^\d{1,15}$/

/**
 * Reads the whole body of `request`, refusing more than `maxBytes`. The declared length is
 * checked first: a `Content-Length` that is not one plain number (`"abc"`, `"-1"`, `"5, 5"` from
 * a repeated field) is refused as malformed, and one over the cap is refused before anything is
 * read. A stream that runs past the cap is cancelled; no body reads as zero bytes.
 *
 * @param request - The request whose body to read (not yet read).
 * @param maxBytes - The largest body accepted, in bytes.
 * @param contentLength - The declared length; by default `request.headers.get('content-length')`
 *   (pass the raw field value when the request was rebuilt from field lines).
 *
 * @example
 * ```ts
 * const bytes = await readRequestBody(request, 64 * 1024)
 * const text = new TextDecoder().decode(bytes)
 * ```
 *
 * @throws {@link RequestError} `malformed` (400) for an invalid or repeated `Content-Length` or a
 *   body stream that fails (the client went away); `body_too_large` (413) past the cap.
 * @throws `TypeError` when the body was already read (verify before reading it).
 */
export async function readRequestBody(
  request: Request,
  maxBytes: number,
  contentLength: string | null = request.headers.get('content-length'),
): Promise<Uint8Array> {
  if (contentLength !== null) {
    if (!CONTENT_LENGTH.test(contentLength)) {
      throw new RequestError('malformed', 'invalid Content-Length')
    }
    if (Number(contentLength) > maxBytes) {
      throw new RequestError('body_too_large', `the body is larger than ${maxBytes} bytes`)
    }
  }
  const stream = request.body
  if (stream === null) {
    return new Uint8Array(0)
  }
  if (request.bodyUsed) {
    throw new TypeError('the request body has already been read; verify before reading it')
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
