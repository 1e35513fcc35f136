/**
 * A strict, iterative JSON parser for untrusted input, shared by the relay, the verifier and the
 * token service.
 *
 * @module
 */
import { RequestError } from '../errors.ts'

/** Options for {@link parseJsonStrict}. */
export interface ParseJsonStrictOptions {
  /** Deepest allowed nesting of arrays and objects. Default {@link DEFAULT_JSON_MAX_DEPTH} (32). */
  maxDepth?: number
  /**
   * Longest allowed input, in UTF-16 code units. Default: unlimited (cap the body's bytes
   * before decoding instead).
   */
  maxLength?: number
}

/** A JSON value, as returned by {@link parseJsonStrict}. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue }

/** A JSON object, as returned by {@link parseJsonStrict} and narrowed by {@link isJsonObject}. */
export type JsonObject = { [key: string]: JsonValue }

/** The default `maxDepth` of {@link parseJsonStrict}: 32 levels of arrays and objects. */
export const DEFAULT_JSON_MAX_DEPTH = 32

/** Keys refused anywhere: they pollute prototypes when merged into plain objects. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

interface ArrayFrame {
  kind: 0
  value: JsonValue[]
}
interface ObjectFrame {
  kind: 1
  value: JsonObject
  key: string
}
type Frame = ArrayFrame | ObjectFrame

/** Throws the `invalid_json` error for a syntax error at offset `at`. */
function fail(message: string, at: number): never {
  throw new RequestError('invalid_json', `invalid JSON: ${message} at offset ${at}`)
}

/** Throws the `malformed` error for well-formed JSON that breaks a policy (key, depth, size). */
function refuse(message: string): never {
  throw new RequestError('malformed', message)
}

/**
 * Parses untrusted JSON text strictly (RFC 8259 with the I-JSON restrictions of RFC 7493).
 *
 * Unlike `JSON.parse` it refuses duplicate keys, the keys `__proto__`, `constructor` and
 * `prototype` (also when written with escapes), nesting deeper than `maxDepth`, lone surrogates
 * and numbers a double cannot carry unchanged. It never recurses, so no input can overflow the stack while
 * parsing, and the depth of the result is bounded, so walking it afterwards is safe too.
 * Uses only ECMAScript built-ins, so it runs in every runtime.
 *
 * Numbers follow I-JSON (RFC 7493 §2.2): every number is read as the nearest IEEE 754 double,
 * and a literal is refused when that could change it in a way a receiver would notice:
 *
 * - its magnitude is above 2^53 − 1 (9007199254740991), whether written as an integer, with a
 *   fraction or with an exponent (`12345678901234567890`, `1e16`, `1.5e300`, `1e400`): beyond it
 *   a double holds neither every integer nor any fraction;
 * - it has more than 17 significant digits (leading and trailing zeros do not count), more
 *   precision than a double carries (`3.141592653589793238462643383279`);
 * - it is not zero but below the smallest normal double, 2.2250738585072014e-308, where it
 *   would lose precision or become 0 (`1e-400`, `5e-324`).
 *
 * Other numbers with a fraction or an exponent are accepted as doubles (`0.1`, `-2.5e3`, `1e15`);
 * `-0` reads as `0`. Checking costs one linear pass over the literal, however long.
 *
 * @example
 * ```ts
 * const value = parseJsonStrict(await request.text(), { maxDepth: 16 })
 * if (!isJsonObject(value)) throw new RequestError('malformed', 'expected an object')
 * ```
 *
 * @param text - The JSON text.
 * @param options - Depth and length caps.
 * @returns The parsed value; objects are plain objects with `Object.prototype`.
 * @throws {@link RequestError} `invalid_json` (400) when `text` is not I-JSON: a syntax error,
 *   a duplicate key, a lone surrogate or a number outside the range above (the message says
 *   which, and the offset).
 * @throws {@link RequestError} `malformed` (400) when it is JSON the policy refuses: a
 *   `__proto__`, `constructor` or `prototype` key, nesting deeper than `maxDepth` (the
 *   message is `JSON nested deeper than N levels`), or text longer than `maxLength`.
 * @throws `TypeError` when `text` is not a string.
 */
export function parseJsonStrict(text: string, options: ParseJsonStrictOptions = {}): JsonValue {
  const maxDepth = options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH
  if (typeof text !== 'string') {
    throw new TypeError(`expected text to be a string, got ${typeof text}`)
  }
  if (options.maxLength !== undefined && text.length > options.maxLength) {
    refuse(`JSON text is longer than ${options.maxLength} characters`)
  }
  const n = text.length
  let i = 0
  const stack: Frame[] = []

  const skipWs = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        i++
      } else {
        break
      }
    }
  }

  const readString = (): string => {
    // text[i] is the opening quote.
    const start = ++i
    // Fast path: no escapes.
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        const s = text.slice(start, i)
        i++
        return checkSurrogates(s, start)
      }
      if (c === 0x5c) {
        break
      }
      if (c < 0x20) {
        fail('control character in string', i)
      }
      i++
    }
    let out = text.slice(start, i)
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        i++
        return checkSurrogates(out, start)
      }
      if (c < 0x20) {
        fail('control character in string', i)
      }
      if (c !== 0x5c) {
        const runStart = i
        while (i < n) {
          const d = text.charCodeAt(i)
          if (d === 0x22 || d === 0x5c || d < 0x20) {
            break
          }
          i++
        }
        out += text.slice(runStart, i)
        continue
      }
      i++
      const e = text[i]
      switch (e) {
        case '"':
          out += '"'
          break
        case '\\':
          out += '\\'
          break
        case '/':
          out += '/'
          break
        case 'b':
          out += '\b'
          break
        case 'f':
          out += '\f'
          break
        case 'n':
          out += '\n'
          break
        case 'r':
          out += '\r'
          break
        case 't':
          out += '\t'
          break
        case 'u': {
          const hex = text.slice(i + 1, i + 5)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            fail('bad unicode escape', i)
          }
          out += String.fromCharCode(Number.parseInt(hex, 16))
          i += 4
          break
        }
        default:
          fail('bad escape', i)
      }
      i++
    }
    return fail('unterminated string', start - 1)
  }

  const checkSurrogates = (s: string, at: number): string => {
    if (SURROGATE.test(s) && !isWellFormed(s)) {
      fail('lone surrogate in string', at)
    }
    return s
  }

  const readNumber = (): number => {
    const start = i
    if (text.charCodeAt(i) === 0x2d) {
      i++
    }
    const first = text.charCodeAt(i)
    if (first === 0x30) {
      i++
    } else if (first >= 0x31 && first <= 0x39) {
      i = skipDigits(text, i)
    } else {
      fail('bad number', start)
    }
    let fracEnd = i
    if (text.charCodeAt(i) === 0x2e) {
      i++
      if (!isDigit(text.charCodeAt(i))) {
        fail('bad number', start)
      }
      i = skipDigits(text, i)
      fracEnd = i
    }
    const e = text.charCodeAt(i)
    if (e === 0x65 || e === 0x45) {
      i++
      const sign = text.charCodeAt(i)
      if (sign === 0x2b || sign === 0x2d) {
        i++
      }
      if (!isDigit(text.charCodeAt(i))) {
        fail('bad number', start)
      }
      i = skipDigits(text, i)
    }
    return checkNumber(text, start, fracEnd, i)
  }

  const readLiteral = (word: string, value: JsonValue): JsonValue => {
    if (text.startsWith(word, i)) {
      i += word.length
      return value
    }
    return fail('unexpected token', i)
  }

  const readKey = (): string => {
    if (text.charCodeAt(i) !== 0x22) {
      fail('expected a string key', i)
    }
    const key = readString()
    if (FORBIDDEN_KEYS.has(key)) {
      refuse(`JSON key ${JSON.stringify(key)} is not allowed`)
    }
    skipWs()
    if (text.charCodeAt(i) !== 0x3a) {
      fail('expected ":"', i)
    }
    i++
    skipWs()
    return key
  }

  skipWs()
  for (;;) {
    // A value is expected at i.
    if (i >= n) {
      fail('unexpected end of input', i)
    }
    const c = text.charCodeAt(i)
    let value: JsonValue
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) {
        refuse(`JSON nested deeper than ${maxDepth} levels`)
      }
      i++
      skipWs()
      if (c === 0x7b) {
        if (text.charCodeAt(i) === 0x7d) {
          i++
          value = {}
        } else {
          const obj: JsonObject = {}
          stack.push({ kind: 1, value: obj, key: readKey() })
          continue
        }
      } else if (text.charCodeAt(i) === 0x5d) {
        i++
        value = []
      } else {
        stack.push({ kind: 0, value: [] })
        continue
      }
    } else if (c === 0x22) {
      value = readString()
    } else if (c === 0x2d || isDigit(c)) {
      value = readNumber()
    } else if (c === 0x74) {
      value = readLiteral('true', true)
    } else if (c === 0x66) {
      value = readLiteral('false', false)
    } else if (c === 0x6e) {
      value = readLiteral('null', null)
    } else {
      fail('unexpected character', i)
    }

    // Attach the value to its parent, closing containers as they end.
    for (;;) {
      const frame = stack[stack.length - 1]
      if (frame === undefined) {
        skipWs()
        if (i !== n) {
          fail('unexpected data after the value', i)
        }
        return value
      }
      if (frame.kind === 0) {
        frame.value.push(value)
      } else {
        if (Object.hasOwn(frame.value, frame.key)) {
          fail(`duplicate key "${frame.key}"`, i)
        }
        frame.value[frame.key] = value
      }
      skipWs()
      const d = text.charCodeAt(i)
      if (d === 0x2c /* , */) {
        i++
        skipWs()
        if (frame.kind === 1) {
          frame.key = readKey()
        }
        break
      }
      if ((frame.kind === 0 && d === 0x5d) || (frame.kind === 1 && d === 0x7d)) {
        i++
        stack.pop()
        value = frame.value
        continue
      }
      fail(frame.kind === 0 ? 'expected "," or "]"' : 'expected "," or "}"', i)
    }
  }
}

/** The largest magnitude accepted: 2^53 − 1, beyond which a double cannot hold every integer. */
const MAX_MAGNITUDE = Number.MAX_SAFE_INTEGER
/** The smallest normal double: below it a nonzero number loses precision or becomes 0. */
const MIN_NORMAL = 2.2250738585072014e-308
/** The most significant digits a double can carry meaningfully. */
const MAX_SIGNIFICANT_DIGITS = 17

/** The index after the run of digits starting at `at`. */
function skipDigits(text: string, at: number): number {
  let k = at
  while (k < text.length && isDigit(text.charCodeAt(k))) {
    k++
  }
  return k
}

/**
 * Counts the significant digits of the significand `text[from, to)` (integer digits, then an
 * optional `.` and fraction digits), ignoring leading and trailing zeros; stops counting past
 * {@link MAX_SIGNIFICANT_DIGITS} + 1 so that a long run costs one linear pass.
 */
function significantDigits(text: string, from: number, to: number): number {
  let first = -1
  let last = -1
  let count = 0
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k)
    if (c === 0x2e) {
      continue
    }
    if (c !== 0x30) {
      if (first < 0) {
        first = k
      }
      last = k
    }
  }
  if (first < 0) {
    return 0
  }
  for (let k = first; k <= last && count <= MAX_SIGNIFICANT_DIGITS; k++) {
    if (text.charCodeAt(k) !== 0x2e) {
      count++
    }
  }
  return count
}

/**
 * Converts the number literal `text[start, end)` and applies the I-JSON (RFC 7493 §2.2) range
 * policy described on {@link parseJsonStrict}. `fracEnd` ends its significand (the integer
 * and fraction parts).
 */
function checkNumber(text: string, start: number, fracEnd: number, end: number): number {
  const digitsFrom = text.charCodeAt(start) === 0x2d ? start + 1 : start
  const significant = significantDigits(text, digitsFrom, fracEnd)
  if (significant > MAX_SIGNIFICANT_DIGITS) {
    fail(`number has more than ${MAX_SIGNIFICANT_DIGITS} significant digits`, start)
  }
  const value = Number(text.slice(start, end))
  const magnitude = Math.abs(value)
  if (magnitude > MAX_MAGNITUDE) {
    fail('number out of range (beyond ±(2^53 − 1))', start)
  }
  if (magnitude < MIN_NORMAL && significant > 0) {
    fail('number out of range (too close to zero)', start)
  }
  // -0 reads as 0: JSON.stringify writes both as 0, so the sign would not survive anyway.
  return value === 0 ? 0 : value
}

const SURROGATE = /[\uD800-\uDFFF]/

function isWellFormed(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k)
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(k + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) {
        return false
      }
      k++
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false
    }
  }
  return true
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/**
 * Whether `value` is a JSON object: an object that is neither an array nor `null`.
 *
 * @param value - Any value, typically a result of {@link parseJsonStrict}.
 * @returns `true` when `value` can be read as a {@link JsonObject}.
 */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
