/**
 * Parsing a `Content-Type` value into its essence and parameters (RFC 9110 §8.3.1).
 *
 * @module
 */

/** A parsed `Content-Type`: the lowercased essence and its parameters. */
export interface MediaType {
  /** `type/subtype`, lowercased and trimmed, e.g. `application/json`. */
  essence: string
  /**
   * The parameters by lowercased name, values unquoted (case kept). A parameter without `=`
   * reads as an empty value; an empty one (`;;`, allowed by RFC 9110) is skipped.
   */
  params: Map<string, string>
}

/**
 * Parses a `Content-Type` value leniently: the essence before the first `;`, then `name=value`
 * parameters, a quoted value unquoted. Checking what is allowed is the caller's job.
 *
 * @param value - The `Content-Type` field value, or `null` when absent.
 * @returns The media type, or `undefined` when the value is absent, has no essence, or names a
 *   parameter twice (`charset=latin1; charset=utf-8` is ambiguous, so it is no media type).
 *
 * @example
 * ```ts
 * const type = parseMediaType(request.headers.get('content-type'))
 * if (type?.essence !== 'application/json') throw new RequestError('unsupported_media_type', 'send JSON')
 * ```
 *
 * @throws never: any string parses (an odd one to an odd essence the caller then refuses).
 */
export function parseMediaType(value: string | null): MediaType | undefined {
  if (value === null) {
    return undefined
  }
  const [head = '', ...rest] = value.split(';')
  const essence = head.trim().toLowerCase()
  if (essence.length === 0) {
    return undefined
  }
  const params = new Map<string, string>()
  for (const part of rest) {
    if (part.trim().length === 0) {
      continue
    }
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    let v = eq === -1 ? '' : part.slice(eq + 1).trim()
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
      v = v.slice(1, -1)
    }
    if (params.has(name)) {
      return undefined
    }
    params.set(name, v)
  }
  return { essence, params }
}
