/**
 * Structured Field Values for HTTP (RFC 9651, which obsoletes RFC 8941), as the signer and
 * verifier use them for `Signature-Input`, `Signature`, `Content-Digest` and friends.
 *
 * A thin, hardened wrapper over the maintained `structured-headers` package; Countersign never
 * parses these fields by regex. What the wrapper adds:
 *
 * - Parsing is bounded: input longer than `maxLength` (default 16 KiB) or holding anything but
 *   visible ASCII, space and tab is refused before the parser runs.
 * - Every parse failure is a `RequestError('malformed')` (400) naming the field, never echoing
 *   the input; a non-string input is a caller bug (`TypeError`).
 * - Byte sequences are {@link ByteSequence} objects over `Uint8Array` (structured-headers 2.x
 *   returns a bare `ArrayBuffer`), and parsed `-0` is `0`.
 * - Serialising validates the whole structure first and throws `TypeError`/`RangeError` on
 *   anything the RFC cannot express (non-finite or out-of-range numbers, non-ASCII strings, bad
 *   keys, fractional-second dates), instead of emitting an invalid field. Decimals are rounded
 *   to three places half-to-even as the RFC requires.
 *
 * Known limits, inherited from structured-headers 2.1 and checked by the tests so that a fix
 * upstream is noticed:
 *
 * - A JavaScript number cannot tell `1.0` from `1`, so a decimal with a zero fraction
 *   serialises as an integer (`1.0` becomes `1`). Countersign's own fields use integers only.
 * - A Date must end its field: `@1659578233` parses, but a Date followed by parameters or by
 *   another list or dictionary member does not. Dates outside JavaScript's range are refused.
 * - Display strings with a character below U+0010 cannot be serialised (the library would
 *   write a one-digit percent escape); serialising one throws `TypeError`.
 *
 * @module
 */
import {
  type BareItem as SfBareItem,
  type Dictionary as SfDictionary,
  DisplayString as SfDisplayString,
  type InnerList as SfInnerList,
  type Item as SfItem,
  type List as SfList,
  type Parameters as SfParameters,
  Token as SfToken,
  parseDictionary as sfParseDictionary,
  parseItem as sfParseItem,
  parseList as sfParseList,
  serializeDictionary as sfSerializeDictionary,
  serializeItem as sfSerializeItem,
  serializeList as sfSerializeList,
} from 'structured-headers'
import { fromBase64, toBase64 } from './encoding.ts'
import { RequestError } from './errors.ts'

const TOKEN_PATTERN = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/
const KEY_PATTERN = /^[a-z*][a-z0-9_\-.*]*$/
const STRING_PATTERN = /^[\x20-\x7e]*$/
const FIELD_PATTERN = /^[\t\x20-\x7e]*$/
const FIELD_NAME_PATTERN = /^[\x20-\x7e]{1,100}$/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const DEFAULT_MAX_LENGTH = 16 * 1024
const MAX_INTEGER = 999_999_999_999_999
const MAX_DECIMAL_INTEGER_DIGITS = 12

/** An RFC 9651 Token: a short textual word such as `sha-256` or `*`, distinct from a String. */
export class Token {
  /** The token's text. */
  readonly value: string

  /** @throws `TypeError` when `value` is not a valid token (`[A-Za-z*]` then tchar, `:` or `/`). */
  constructor(value: string) {
    if (typeof value !== 'string' || !TOKEN_PATTERN.test(value)) {
      throw new TypeError('invalid structured field token')
    }
    this.value = value
  }

  /** The token's text. */
  toString(): string {
    return this.value
  }
}

/** An RFC 9651 Byte Sequence (`:base64:` on the wire), such as a signature value. */
export class ByteSequence {
  /** The bytes; a copy owned by this object. */
  readonly bytes: Uint8Array

  /** Wraps a copy of `bytes`. @throws `TypeError` when `bytes` is not a `Uint8Array`. */
  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError('expected a Uint8Array')
    }
    this.bytes = bytes.slice()
  }

  /** Decodes strict, padded base64 (RFC 4648 §4). @throws `TypeError` when it is not canonical base64. */
  static fromBase64(text: string): ByteSequence {
    return new ByteSequence(fromBase64(text))
  }

  /** The bytes as padded base64, as they appear between the colons on the wire. */
  toBase64(): string {
    return toBase64(this.bytes)
  }
}

/** An RFC 9651 Display String (`%"…"` on the wire): Unicode text meant for people. */
export class DisplayString {
  /** The text. */
  readonly value: string

  /** @throws `TypeError` when `value` is not a well-formed Unicode string. */
  constructor(value: string) {
    if (typeof value !== 'string' || LONE_SURROGATE.test(value)) {
      throw new TypeError('expected a well-formed Unicode string')
    }
    this.value = value
  }

  /** The text. */
  toString(): string {
    return this.value
  }
}

/**
 * A Bare Item: Integer or Decimal (`number`), String (`string`), Token, Byte Sequence,
 * Boolean, Date or Display String.
 */
export type BareItem = number | string | boolean | Token | ByteSequence | Date | DisplayString

/** Parameters: an ordered map from key (`[a-z*][a-z0-9_.*-]*`) to Bare Item. */
export type Parameters = Map<string, BareItem>

/** An Item: a Bare Item with its Parameters. */
export type Item = [BareItem, Parameters]

/** An Inner List: a parenthesised list of Items, with its own Parameters. */
export type InnerList = [Item[], Parameters]

/** A List: Items and Inner Lists. */
export type List = Array<Item | InnerList>

/** A Dictionary: an ordered map from key to Item or Inner List. */
export type Dictionary = Map<string, Item | InnerList>

// ---------------------------------------------------------------------------------------------
// Parsing

interface ParseSettings {
  field: string
  maxLength: number
}

function parseSettings(options: unknown): ParseSettings {
  if (options === undefined) {
    return { field: 'the field', maxLength: DEFAULT_MAX_LENGTH }
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('expected options to be an object')
  }
  const { field = 'the field', maxLength = DEFAULT_MAX_LENGTH } = options as {
    field?: unknown
    maxLength?: unknown
  }
  if (typeof field !== 'string' || !FIELD_NAME_PATTERN.test(field)) {
    throw new TypeError('expected field to be 1-100 printable ASCII characters')
  }
  if (typeof maxLength !== 'number') {
    throw new TypeError('expected maxLength to be a number')
  }
  if (!Number.isSafeInteger(maxLength) || maxLength <= 0) {
    throw new RangeError('expected maxLength to be a positive integer')
  }
  return { field, maxLength }
}

function malformed(field: string): RequestError {
  return new RequestError('malformed', `${field} is not a valid structured field`)
}

/** Checks the input before the parser sees it and strips trailing spaces (RFC 9651 §4.2). */
function prepare(input: unknown, settings: ParseSettings): string {
  if (typeof input !== 'string') {
    throw new TypeError(`expected ${settings.field} to be a string, got ${typeof input}`)
  }
  if (input.length > settings.maxLength || !FIELD_PATTERN.test(input)) {
    throw malformed(settings.field)
  }
  let end = input.length
  while (end > 0 && input.charCodeAt(end - 1) === 32) {
    end--
  }
  return end === input.length ? input : input.slice(0, end)
}

function fromSfBareItem(value: SfBareItem, field: string): BareItem {
  switch (typeof value) {
    case 'number':
      return value === 0 ? 0 : value
    case 'string':
    case 'boolean':
      return value
  }
  if (value instanceof SfToken) {
    return new Token(value.toString())
  }
  if (value instanceof ArrayBuffer) {
    return new ByteSequence(new Uint8Array(value))
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw malformed(field)
    }
    return value
  }
  if (value instanceof SfDisplayString) {
    return new DisplayString(value.toString())
  }
  throw malformed(field)
}

function fromSfParameters(parameters: SfParameters, field: string): Parameters {
  const out: Parameters = new Map()
  for (const [key, value] of parameters) {
    out.set(key, fromSfBareItem(value, field))
  }
  return out
}

function fromSfMember(member: SfItem | SfInnerList, field: string): Item | InnerList {
  if (Array.isArray(member[0])) {
    const [items, parameters] = member as SfInnerList
    return [
      items.map(([value, p]) => [fromSfBareItem(value, field), fromSfParameters(p, field)]),
      fromSfParameters(parameters, field),
    ]
  }
  const [value, parameters] = member as SfItem
  return [fromSfBareItem(value, field), fromSfParameters(parameters, field)]
}

function runParser<T>(parse: () => T, field: string): T {
  try {
    return parse()
  } catch {
    // The library's message quotes the input; it is dropped, not chained as `cause`.
    throw malformed(field)
  }
}

/**
 * Parses a Dictionary field, such as `Signature-Input` or `Signature`. Combine repeated field
 * lines with `, ` first (as `Headers.get` does).
 *
 * @throws `RequestError` (`malformed`, 400) when the value is not a valid Dictionary or is too long.
 * @throws `TypeError` when `input` is not a string or an option is invalid.
 */
export function parseDictionary(
  input: string,
  options?: {
    /** The field's name, for the error message (e.g. `Signature-Input`). Default `the field`. */
    field?: string
    /** The longest input accepted, in characters; longer input is malformed. Default 16384. */
    maxLength?: number
  },
): Dictionary {
  const settings = parseSettings(options)
  const text = prepare(input, settings)
  const parsed = runParser(() => sfParseDictionary(text), settings.field)
  const out: Dictionary = new Map()
  for (const [key, member] of parsed) {
    out.set(key, fromSfMember(member, settings.field))
  }
  return out
}

/**
 * Parses a List field.
 *
 * @throws `RequestError` (`malformed`, 400) when the value is not a valid List or is too long.
 * @throws `TypeError` when `input` is not a string or an option is invalid.
 */
export function parseList(
  input: string,
  options?: {
    /** The field's name, for the error message (e.g. `Signature-Input`). Default `the field`. */
    field?: string
    /** The longest input accepted, in characters; longer input is malformed. Default 16384. */
    maxLength?: number
  },
): List {
  const settings = parseSettings(options)
  const text = prepare(input, settings)
  const parsed = runParser(() => sfParseList(text), settings.field)
  return parsed.map((member) => fromSfMember(member, settings.field))
}

/**
 * Parses an Item field.
 *
 * @throws `RequestError` (`malformed`, 400) when the value is not a valid Item or is too long.
 * @throws `TypeError` when `input` is not a string or an option is invalid.
 */
export function parseItem(
  input: string,
  options?: {
    /** The field's name, for the error message (e.g. `Signature-Input`). Default `the field`. */
    field?: string
    /** The longest input accepted, in characters; longer input is malformed. Default 16384. */
    maxLength?: number
  },
): Item {
  const settings = parseSettings(options)
  const text = prepare(input, settings)
  const [value, parameters] = runParser(() => sfParseItem(text), settings.field)
  return [fromSfBareItem(value, settings.field), fromSfParameters(parameters, settings.field)]
}

// ---------------------------------------------------------------------------------------------
// Serialising

/** Rounds to three decimal places, ties to even, on the number's shortest decimal form. */
function roundDecimal(value: number): number {
  const text = Math.abs(value).toString()
  if (text.includes('e')) {
    // Below 1e-6 (above 1e21 is an integer and never gets here): rounds to zero.
    return 0
  }
  const [whole = '', fraction = ''] = text.split('.')
  if (fraction.length <= 3) {
    return value
  }
  const kept = BigInt(whole + fraction.slice(0, 3))
  const next = fraction.charCodeAt(3) - 48
  const tie = next === 5 && fraction.length === 4 // the shortest form has no trailing zeros
  const roundUp = next > 5 || (next === 5 && !tie) || (tie && kept % 2n === 1n)
  const magnitude = Number(kept + (roundUp ? 1n : 0n)) / 1000
  return value < 0 && magnitude !== 0 ? -magnitude : magnitude
}

function toSfBareItem(value: unknown): SfBareItem {
  switch (typeof value) {
    case 'number': {
      if (!Number.isFinite(value)) {
        throw new RangeError('structured field numbers must be finite')
      }
      if (Number.isInteger(value)) {
        if (Math.abs(value) > MAX_INTEGER) {
          throw new RangeError('structured field integers must be within ±999,999,999,999,999')
        }
        return value === 0 ? 0 : value
      }
      const rounded = roundDecimal(value)
      if (Math.abs(Math.trunc(rounded)).toString().length > MAX_DECIMAL_INTEGER_DIGITS) {
        throw new RangeError('structured field decimals must have at most 12 integer digits')
      }
      return rounded === 0 ? 0 : rounded
    }
    case 'string':
      if (!STRING_PATTERN.test(value)) {
        throw new TypeError('structured field strings must be printable ASCII')
      }
      return value
    case 'boolean':
      return value
  }
  if (value instanceof Token) {
    return new SfToken(value.value)
  }
  if (value instanceof ByteSequence) {
    // The constructor's `slice()` copy always owns a plain ArrayBuffer.
    return value.bytes as Uint8Array<ArrayBuffer>
  }
  if (value instanceof Date) {
    const time = value.getTime()
    if (Number.isNaN(time) || time % 1000 !== 0) {
      throw new RangeError('structured field dates must be valid and in whole seconds')
    }
    return value
  }
  if (value instanceof DisplayString) {
    if (hasCharBelow(value.value, 0x10)) {
      throw new TypeError('display strings with characters below U+0010 cannot be serialised')
    }
    return new SfDisplayString(value.value)
  }
  throw new TypeError('unsupported structured field value')
}

function hasCharBelow(text: string, limit: number): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < limit) {
      return true
    }
  }
  return false
}

function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new TypeError('invalid structured field key')
  }
}

function toSfParameters(parameters: unknown): SfParameters {
  if (!(parameters instanceof Map)) {
    throw new TypeError('structured field parameters must be a Map')
  }
  const out: SfParameters = new Map()
  for (const [key, value] of parameters) {
    assertKey(key)
    out.set(key, toSfBareItem(value))
  }
  return out
}

function toSfItem(item: unknown): SfItem {
  if (!Array.isArray(item) || item.length !== 2 || Array.isArray(item[0])) {
    throw new TypeError('a structured field item must be [value, parameters]')
  }
  return [toSfBareItem(item[0]), toSfParameters(item[1])]
}

function toSfMember(member: unknown): SfItem | SfInnerList {
  if (Array.isArray(member) && member.length === 2 && Array.isArray(member[0])) {
    return [member[0].map(toSfItem), toSfParameters(member[1])]
  }
  return toSfItem(member)
}

function runSerializer(serialize: () => string): string {
  try {
    return serialize()
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw error
    }
    throw new TypeError('value cannot be serialised as a structured field')
  }
}

/**
 * Serialises a Dictionary. An empty Dictionary gives `''`: omit the field then.
 *
 * @throws `TypeError` or `RangeError` when the value cannot be expressed as a structured field.
 */
export function serializeDictionary(dictionary: Dictionary): string {
  if (!(dictionary instanceof Map)) {
    throw new TypeError('a structured field dictionary must be a Map')
  }
  const out: SfDictionary = new Map()
  for (const [key, member] of dictionary) {
    assertKey(key)
    out.set(key, toSfMember(member))
  }
  return runSerializer(() => sfSerializeDictionary(out))
}

/**
 * Serialises a List. An empty List gives `''`: omit the field then.
 *
 * @throws `TypeError` or `RangeError` when the value cannot be expressed as a structured field.
 */
export function serializeList(list: List): string {
  if (!Array.isArray(list)) {
    throw new TypeError('a structured field list must be an array')
  }
  const out: SfList = list.map(toSfMember)
  return runSerializer(() => sfSerializeList(out))
}

/**
 * Serialises an Item given as `[value, parameters]`.
 *
 * @throws `TypeError` or `RangeError` when the value cannot be expressed as a structured field.
 */
export function serializeItem(item: Item): string
/**
 * Serialises a Bare Item with optional Parameters.
 *
 * @throws `TypeError` or `RangeError` when the value cannot be expressed as a structured field.
 */
export function serializeItem(value: BareItem, parameters?: Parameters): string
export function serializeItem(input: Item | BareItem, parameters?: Parameters): string {
  const item = toSfItem(Array.isArray(input) ? input : [input, parameters ?? new Map()])
  return runSerializer(() => sfSerializeItem(item))
}
