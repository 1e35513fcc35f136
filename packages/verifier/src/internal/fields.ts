/**
 * Field access over a Web `Request` or raw field lines, with duplicate detection.
 *
 * @module
 */
import { type FieldLine, RequestError } from '@countersign/core'

/** Fields that must appear at most once: a second line changes what is authenticated. */
export const SINGLE_FIELDS: readonly string[] = [
  'host',
  'content-type',
  'content-digest',
  'signature',
  'signature-input',
  'authorization',
]

/** Read access to a request's fields. */
export interface Fields {
  /** The combined value (lines joined with `", "`), or `null` when absent. */
  get(name: string): string | null
  /** What `createSignatureBase` reads components from. */
  readonly source: Headers | readonly FieldLine[]
}

/**
 * Fields of `request`, from `fieldLines` when an adapter supplies them.
 *
 * @throws RequestError `duplicate_header` when a field of `single` appears on two lines (exact,
 *   from field lines), or, from `Headers`, when `Host` or `Content-Type` holds a comma-joined
 *   pair of values.
 */
export function fieldsOf(
  request: Request,
  fieldLines: readonly FieldLine[] | undefined,
  single: readonly string[] = SINGLE_FIELDS,
): Fields {
  if (fieldLines === undefined) {
    return fieldsFrom(request.headers, single)
  }
  if (!Array.isArray(fieldLines)) {
    throw new TypeError('fieldLines must be an array of [name, value] pairs')
  }
  return fieldsFrom(fieldLines, single)
}

/**
 * Fields from a `Headers` (duplicates detected from joined values) or from raw field lines
 * (duplicates detected exactly).
 *
 * @throws as {@link fieldsOf}; `TypeError` when a line is not a `[name, value]` pair of strings.
 */
export function fieldsFrom(
  source: Headers | readonly FieldLine[],
  single: readonly string[] = SINGLE_FIELDS,
): Fields {
  if (Array.isArray(source)) {
    return new LineFields(source, single)
  }
  if (source instanceof Headers) {
    const headers = source
    const host = headers.get('host')
    if (host?.includes(',')) {
      throw new RequestError('duplicate_header', 'Host appears more than once')
    }
    const authorization = headers.get('authorization')
    if (
      authorization !== null &&
      single.includes('authorization') &&
      isTwoCredentials(authorization)
    ) {
      throw new RequestError('duplicate_header', 'Authorization appears more than once')
    }
    const type = headers.get('content-type')
    if (type !== null && single.includes('content-type') && hasTopLevelComma(type)) {
      throw new RequestError('duplicate_header', 'Content-Type appears more than once')
    }
    return { get: (name) => headers.get(name), source: headers }
  }
  // Any other iterable of lines, as before: read once into an array.
  return new LineFields([...(source as Iterable<FieldLine>)], single)
}

/** Up to this many distinct names, a lookup scans an array: cheaper to build than a `Map`. */
const SMALL_INDEX = 24

/**
 * Fields over raw lines: one pass lowercases each name once and files its value; a name seen
 * once holds its value as a string (the common case, no array per field).
 */
class LineFields implements Fields {
  readonly source: readonly FieldLine[]
  readonly #names: string[] = []
  readonly #values: (string | string[])[] = []
  #map: Map<string, string | string[]> | undefined

  constructor(source: readonly FieldLine[], single: readonly string[]) {
    this.source = source
    for (let i = 0; i < source.length; i++) {
      const line = source[i]
      if (!Array.isArray(line) || typeof line[0] !== 'string' || typeof line[1] !== 'string') {
        throw new TypeError('fieldLines must be an array of [name, value] pairs')
      }
      const name = line[0].toLowerCase()
      const value = line[1]
      const map = this.#map
      if (map !== undefined) {
        const values = map.get(name)
        map.set(name, values === undefined ? value : more(values, name, value, single))
        continue
      }
      const names = this.#names
      let j = 0
      while (j < names.length && names[j] !== name) {
        j++
      }
      if (j < names.length) {
        this.#values[j] = more(this.#values[j] as string | string[], name, value, single)
        continue
      }
      names.push(name)
      this.#values.push(value)
      if (names.length > SMALL_INDEX) {
        this.#map = new Map()
        for (let k = 0; k < names.length; k++) {
          this.#map.set(names[k] as string, this.#values[k] as string | string[])
        }
      }
    }
  }

  get(name: string): string | null {
    let values: string | string[] | undefined
    if (this.#map !== undefined) {
      values = this.#map.get(name)
    } else {
      const names = this.#names
      for (let j = 0; j < names.length; j++) {
        if (names[j] === name) {
          values = this.#values[j]
          break
        }
      }
    }
    if (values === undefined) {
      return null
    }
    return typeof values === 'string' ? trim(values) : values.map(trim).join(', ')
  }
}

/** The values of a field seen again, with `value` added; refuses a second line of `single`. */
function more(
  values: string | string[],
  name: string,
  value: string,
  single: readonly string[],
): string[] {
  if (single.includes(name)) {
    throw new RequestError('duplicate_header', `${name} appears more than once`)
  }
  if (typeof values === 'string') {
    return [values, value]
  }
  values.push(value)
  return values
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09
}

function trim(value: string): string {
  if (
    value.length === 0 ||
    (!isOws(value.charCodeAt(0)) && !isOws(value.charCodeAt(value.length - 1)))
  ) {
    return value
  }
  return value.replace(/^[ \t]+|[ \t]+$/g, '')
}

const TOKEN68_CREDENTIALS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ ]+[A-Za-z0-9\-._~+/]+=*$/
const NEW_CREDENTIALS = /^[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ ]+[^ \t=]/

/**
 * Whether an `Authorization` value is two credentials joined by `Headers` (RFC 9110 §11.6.2):
 * a comma after a bare value or a `scheme token68` credential, or a later part that starts a
 * new `scheme …` credential. Auth-params (`Digest realm="a", nonce="b"`) keep their commas.
 */
export function isTwoCredentials(value: string): boolean {
  const parts = splitTopLevel(value)
  if (parts.length < 2) {
    return false
  }
  const first = (parts[0] as string).trim()
  if (!first.includes(' ') || TOKEN68_CREDENTIALS.test(first)) {
    return true
  }
  return parts.slice(1).some((part) => NEW_CREDENTIALS.test(part))
}

function splitTopLevel(value: string): string[] {
  const parts: string[] = []
  let quoted = false
  let start = 0
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]
    if (quoted) {
      if (ch === '\\') {
        i++
      } else if (ch === '"') {
        quoted = false
      }
    } else if (ch === '"') {
      quoted = true
    } else if (ch === ',') {
      parts.push(value.slice(start, i))
      start = i + 1
    }
  }
  parts.push(value.slice(start))
  return parts
}

/**
 * Whether `value` has a comma outside quoted strings: two values of a single-valued field (such
 * as `Content-Type`) joined by `Headers`. A comma inside a quoted parameter is legitimate.
 */
export function hasTopLevelComma(value: string): boolean {
  let quoted = false
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]
    if (quoted) {
      if (ch === '\\') {
        i++
      } else if (ch === '"') {
        quoted = false
      }
    } else if (ch === '"') {
      quoted = true
    } else if (ch === ',') {
      return true
    }
  }
  return false
}
