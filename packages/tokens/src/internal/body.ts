/**
 * Reading request bodies with a hard byte cap, and checking their media type.
 *
 * @module
 */
import { RequestError, readCapped } from '@countersign/core'

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
  let bytes: Uint8Array | undefined
  try {
    bytes = await readCapped(request.body, maxBytes)
  } catch {
    throw new RequestError('malformed', 'could not read the request body')
  }
  if (bytes === undefined) {
    throw new RequestError('body_too_large', `body larger than ${maxBytes} bytes`)
  }
  return bytes
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
