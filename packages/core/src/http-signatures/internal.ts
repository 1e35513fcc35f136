/**
 * Small helpers shared by the RFC 9421 / RFC 9530 modules. Not exported from the package.
 *
 * @module
 */
import { RequestError } from '../errors.ts'
import { type BareItem, ByteSequence } from '../structured-fields.ts'

const encoder = new TextEncoder()
const FORBIDDEN_IN_VALUE = /[\r\n\0]/
const OBS_FOLD = /[ \t]*\r?\n[ \t]+/g
const OWS_EDGES = /^[ \t]+|[ \t]+$/g

/**
 * Encodes a signature base as bytes. HTTP field values are byte strings, and Fetch `Headers` and
 * Node both hold them as one character per byte (latin-1), so the exact wire bytes come back by
 * taking each character code as a byte. Pure ASCII (the common case) takes the fast encoder.
 *
 * @throws RequestError `malformed` when a character is above U+00FF (not a byte).
 */
export function encodeByteString(text: string): Uint8Array {
  const utf8 = encoder.encode(text)
  if (utf8.length === text.length) {
    return utf8 // every character was below U+0080: UTF-8 and latin-1 agree
  }
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c > 0xff) {
      throw new RequestError('malformed', 'a covered value holds a character that is not a byte')
    }
    out[i] = c
  }
  return out
}

/**
 * Canonicalises one field line value per RFC 9421 §2.1: obsolete line folding becomes one space,
 * leading and trailing spaces and tabs are removed (only those: U+00A0 is the byte 0xA0 here).
 *
 * @throws RequestError `malformed` when the value still holds CR, LF or NUL (a base injection).
 */
export function canonicalFieldValue(value: string): string {
  let v = value
  if (v.includes('\n')) {
    v = v.replace(OBS_FOLD, ' ')
  }
  if (FORBIDDEN_IN_VALUE.test(v)) {
    throw new RequestError('malformed', 'a field value holds CR, LF or NUL')
  }
  const n = v.length
  if (n === 0) {
    return v
  }
  const first = v.charCodeAt(0)
  const last = v.charCodeAt(n - 1)
  if (first !== 0x20 && first !== 0x09 && last !== 0x20 && last !== 0x09) {
    return v // nothing to trim: the common case, without a regex pass
  }
  return v.replace(OWS_EDGES, '')
}

/** Printable ASCII (what an sf-string may hold). */
export function isPrintableAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) {
      return false
    }
  }
  return true
}

/** The RFC 9110 `tchar` set, lowercase letters only (component names are lowercased). */
export function isLowercaseFieldName(name: string): boolean {
  if (name.length === 0) {
    return false
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    const ok =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x30 && c <= 0x39) || // 0-9
      "!#$%&'*+-.^_`|~".includes(name[i] as string)
    if (!ok) {
      return false
    }
  }
  return true
}

/** An sf key: `lcalpha / "*"` then `lcalpha / DIGIT / "_" / "-" / "." / "*"`. */
export function isSfKey(key: string): boolean {
  if (key.length === 0 || key.length > 256) {
    return false
  }
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    const lower = c >= 0x61 && c <= 0x7a
    const star = c === 0x2a
    if (
      i === 0
        ? !(lower || star)
        : !(lower || star || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d || c === 0x2e)
    ) {
      return false
    }
  }
  return true
}

/**
 * The member keys of a structured-field Dictionary in the order written, duplicates included.
 * Structured-field parsers keep only the last of duplicate keys (RFC 9651 §4.2.2), which hides
 * two field lines joined by a comma; this walk over an already-parsed (so valid) value finds them.
 * It tracks only what may hold a comma: sf-strings and inner lists.
 */
export function dictionaryMemberKeys(value: string): string[] {
  const keys: string[] = []
  let inString = false
  let depth = 0
  let start = 0
  let keyEnd = -1
  const flush = (end: number): void => {
    const member = value.slice(start, keyEnd < 0 ? end : keyEnd).replace(OWS_EDGES, '')
    keys.push(member)
  }
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]
    if (inString) {
      if (ch === '\\') {
        i++
      } else if (ch === '"') {
        inString = false
      }
      continue
    }
    if (ch === '"') {
      inString = true
    } else if (ch === '(') {
      depth++
    } else if (ch === ')') {
      depth--
    } else if (depth === 0 && keyEnd < 0 && (ch === '=' || ch === ';')) {
      keyEnd = i
    } else if (depth === 0 && ch === ',') {
      flush(i)
      start = i + 1
      keyEnd = -1
    }
  }
  if (value.slice(start).trim().length > 0) {
    flush(value.length)
  }
  return keys
}

/** Whether `keys` holds the same key twice. */
export function hasDuplicate(keys: readonly string[]): boolean {
  return new Set(keys).size !== keys.length
}

/** The bytes of an sf Byte Sequence bare item, or `undefined` when the item is something else. */
export function byteSequenceValue(item: BareItem): Uint8Array | undefined {
  return item instanceof ByteSequence ? item.bytes : undefined
}

/** Compares two byte arrays without an early exit (digests are not secret, but stay uniform). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    return false
  }
  let diff = 0
  for (let i = 0; i < a.length; i++) {
    diff |= (a[i] as number) ^ (b[i] as number)
  }
  return diff === 0
}
