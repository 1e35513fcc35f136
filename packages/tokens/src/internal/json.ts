/**
 * Plain-JSON helpers for the token service. The strict parser itself lives in core
 * (`parseJsonStrict`); this module only adds {@link toStrictJson}.
 *
 * @module
 */
import { type JsonValue, parseJsonStrict } from '@countersign/core'

/**
 * Serialises `value` and parses it back strictly: the way to accept a caller-supplied object
 * (parameters, claims, metadata) as plain JSON data with the same rules as a request body.
 *
 * @throws `TypeError` when `value` is not JSON-serialisable or breaks the strict rules.
 */
export function toStrictJson(
  value: unknown,
  name: string,
  maxBytes: number,
): { json: string; value: JsonValue } {
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch {
    throw new TypeError(`expected ${name} to be JSON-serialisable`)
  }
  if (json === undefined) {
    throw new TypeError(`expected ${name} to be JSON-serialisable`)
  }
  if (json.length > maxBytes || new TextEncoder().encode(json).length > maxBytes) {
    throw new RangeError(`expected ${name} to serialise to at most ${maxBytes} bytes`)
  }
  try {
    return { json, value: parseJsonStrict(json) }
  } catch (error) {
    throw new TypeError(
      `expected ${name} to be plain JSON data: ${error instanceof Error ? error.message : ''}`,
    )
  }
}
