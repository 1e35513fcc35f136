/**
 * Reading a console request's JSON body: `application/json`, capped, strict I-JSON (no
 * duplicate keys, no `__proto__`), an object with only the members a route allows.
 *
 * @module
 */
import { isJsonObject, type JsonObject, parseJsonStrict, readCapped } from '@countersign/core'
import { ConsoleError } from './http.ts'

/** The largest console request body, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024

/** The JSON object body of `request`, with members from `allowed` only. */
export async function readJsonBody(
  request: Request,
  allowed: readonly string[],
): Promise<JsonObject> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') {
    throw new ConsoleError(415, 'unsupported_media_type', 'expected Content-Type: application/json')
  }
  const bytes = await readCapped(request.body, MAX_BODY_BYTES)
  if (bytes === undefined) {
    throw new ConsoleError(413, 'body_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`)
  }
  let value: unknown
  try {
    value = parseJsonStrict(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new ConsoleError(400, 'invalid_json', 'the body is not valid JSON (I-JSON)')
  }
  if (!isJsonObject(value)) {
    throw new ConsoleError(400, 'malformed', 'expected a JSON object')
  }
  const extra = Object.keys(value).find((key) => !allowed.includes(key))
  if (extra !== undefined) {
    throw new ConsoleError(400, 'malformed', `unknown member ${JSON.stringify(extra.slice(0, 64))}`)
  }
  return value
}

/** An optional string member, at most `max` characters. */
export function optionalString(body: JsonObject, name: string, max: number): string | undefined {
  const value = body[name]
  if (value === undefined || value === null) {
    return undefined
  }
  if (typeof value !== 'string' || value.length > max) {
    throw new ConsoleError(
      400,
      'malformed',
      `expected ${name} to be a string of at most ${max} characters`,
    )
  }
  return value
}

/** A required non-empty string member. */
export function requiredString(body: JsonObject, name: string, max: number): string {
  const value = optionalString(body, name, max)
  if (value === undefined || value.length === 0) {
    throw new ConsoleError(400, 'malformed', `expected ${name}`)
  }
  return value
}
