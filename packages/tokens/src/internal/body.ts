/**
 * Reading request bodies with a hard byte cap, and checking their media type.
 *
 * @module
 */
import { RequestError } from '@countersign/core'

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Reads the body of `request` as bytes, refusing more than `maxBytes`. A `Content-Length` above
 * the cap is refused before anything is read; a stream that runs past it is cancelled.
 *
 * @throws `RequestError` `body_too_large` (413) or `malformed` (400, a bad Content-Length).
 */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const lengthHeader = request.headers.get('content-length')
  if (lengthHeader !== null) {
    if (!/^\d{1,15}$/.test(lengthHeader)) {
      throw new RequestError('malformed', 'invalid Content-Length')
    }
    if (Number(lengthHeader) > maxBytes) {
      throw new RequestError('body_too_large', `body larger than ${maxBytes} bytes`)
    }
  }
  const body = request.body
  if (body === null) {
    return new Uint8Array(0)
  }
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) {
        break
      }
      total += value.byteLength
      if (total > maxBytes) {
        await reader.cancel().catch(() => {})
        throw new RequestError('body_too_large', `body larger than ${maxBytes} bytes`)
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof RequestError) {
      throw error
    }
    throw new RequestError('malformed', 'could not read the request body')
  } finally {
    reader.releaseLock()
  }
  if (chunks.length === 1 && chunks[0] !== undefined) {
    return chunks[0]
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/**
 * Reads the body as UTF-8 text with a cap.
 *
 * @throws `RequestError` `body_too_large`, `malformed`, or `invalid_json` when `json` is set
 *   and the bytes are not valid UTF-8 (else `malformed`).
 */
export async function readBodyText(
  request: Request,
  maxBytes: number,
  json = false,
): Promise<string> {
  const bytes = await readBodyBytes(request, maxBytes)
  try {
    return decoder.decode(bytes)
  } catch {
    throw new RequestError(json ? 'invalid_json' : 'malformed', 'body is not valid UTF-8')
  }
}

/**
 * Checks the request's `Content-Type` media type (parameters other than `charset=utf-8` are refused).
 *
 * @throws `RequestError` `unsupported_media_type` (415).
 */
export function requireMediaType(request: Request, mediaType: string): void {
  const header = request.headers.get('content-type')
  if (header === null) {
    throw new RequestError('unsupported_media_type', `Content-Type must be ${mediaType}`)
  }
  const [type, ...params] = header.split(';')
  if (type?.trim().toLowerCase() !== mediaType) {
    throw new RequestError('unsupported_media_type', `Content-Type must be ${mediaType}`)
  }
  for (const param of params) {
    const [name, value] = param.split('=')
    if (
      name?.trim().toLowerCase() !== 'charset' ||
      value?.trim().replaceAll('"', '').toLowerCase() !== 'utf-8'
    ) {
      throw new RequestError('unsupported_media_type', `Content-Type must be ${mediaType}`)
    }
  }
}
