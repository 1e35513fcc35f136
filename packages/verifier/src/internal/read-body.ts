/**
 * Reads a request body once, with a size cap.
 *
 * @module
 */
import { RequestError } from '@countersign/core'

const EMPTY = new Uint8Array(0)

/**
 * Reads the whole body of `request`, refusing more than `maxBytes`.
 *
 * @throws RequestError `body_too_large` (413) past the cap (a declared `Content-Length` over the
 *   cap is refused before reading); `TypeError` when the body was already read.
 */
export async function readBody(
  request: Request,
  maxBytes: number,
  contentLength: string | null,
): Promise<Uint8Array> {
  const stream = request.body
  if (stream === null) {
    return EMPTY
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
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) {
      break
    }
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new RequestError('body_too_large', `the body is larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) {
    const only = chunks[0] as Uint8Array
    return only.constructor === Uint8Array
      ? only
      : new Uint8Array(only.buffer, only.byteOffset, only.byteLength)
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
