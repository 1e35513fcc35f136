/**
 * Body readers of the token service's routes, over core's capped `readRequestBody` and
 * `parseMediaType`.
 *
 * @module
 */
import {
  isJsonObject,
  type JsonObject,
  parseJsonStrict,
  parseMediaType,
  RequestError,
  readRequestBody,
} from '@countersign/core'

const DECODER = new TextDecoder('utf-8', { fatal: true })

/** The body as UTF-8 text; bad UTF-8 is `invalid_json` when `json` is set, else `malformed`. */
async function readBodyText(request: Request, maxBytes: number, json = false): Promise<string> {
  const bytes = await readRequestBody(request, maxBytes)
  try {
    return DECODER.decode(bytes)
  } catch {
    throw new RequestError(json ? 'invalid_json' : 'malformed', 'body is not valid UTF-8')
  }
}

/** Refuses a `Content-Type` other than `mediaType`, with no parameter but `charset=utf-8`. */
function requireMediaType(request: Request, mediaType: string): void {
  const type = parseMediaType(request.headers.get('content-type'))
  const ok =
    type?.essence === mediaType &&
    [...type.params].every(([name, value]) => name === 'charset' && value.toLowerCase() === 'utf-8')
  if (!ok) {
    throw new RequestError('unsupported_media_type', `Content-Type must be ${mediaType}`)
  }
}

function asObject(text: string): JsonObject {
  const value = parseJsonStrict(text)
  if (!isJsonObject(value)) {
    throw new RequestError('invalid_json', 'expected a JSON object')
  }
  return value
}

/** A required `application/json` object body. */
export async function readJsonObject(request: Request, maxBytes: number): Promise<JsonObject> {
  requireMediaType(request, 'application/json')
  return asObject(await readBodyText(request, maxBytes, true))
}

/** An optional JSON object body: an empty body is `{}`. */
export async function readOptionalJsonObject(
  request: Request,
  maxBytes: number,
): Promise<JsonObject> {
  if (request.body === null || request.headers.get('content-length') === '0') {
    return {}
  }
  if (request.headers.get('content-type') === null) {
    if ((await readBodyText(request, maxBytes, true)).length === 0) {
      return {}
    }
    throw new RequestError('unsupported_media_type', 'Content-Type must be application/json')
  }
  requireMediaType(request, 'application/json')
  const text = await readBodyText(request, maxBytes, true)
  return text.length === 0 ? {} : asObject(text)
}

const malformedForm = (): RequestError => new RequestError('malformed', 'malformed form body')

/** The single `token` of an `application/x-www-form-urlencoded` body (RFC 7662, RFC 7009). */
export async function readFormToken(request: Request, maxBytes: number): Promise<string> {
  requireMediaType(request, 'application/x-www-form-urlencoded')
  const text = await readBodyText(request, maxBytes)
  if (!/^[A-Za-z0-9%+=&._~*-]*$/.test(text)) {
    throw malformedForm()
  }
  try {
    // Validate the percent-encoding strictly before URLSearchParams (which is lenient).
    for (const part of text.split('&')) {
      decodeURIComponent(part.replaceAll('+', ' '))
    }
  } catch {
    throw malformedForm()
  }
  const form = new URLSearchParams(text)
  const tokens = form.getAll('token')
  if (tokens.length !== 1 || tokens[0] === undefined || tokens[0].length === 0) {
    throw new RequestError(
      'malformed',
      tokens.length > 1 ? 'duplicate token parameter' : 'missing token parameter',
    )
  }
  if (form.getAll('token_type_hint').length > 1) {
    throw new RequestError('malformed', 'duplicate token_type_hint parameter')
  }
  return tokens[0]
}
