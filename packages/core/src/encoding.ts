/**
 * Byte encodings on plain `Uint8Array`s: base64 (RFC 4648 §4), base64url (§5, unpadded on
 * output), hex, base62 and UTF-8. No `Buffer`, so the same code runs in every runtime.
 * Decoders are strict: a character outside the alphabet, bad padding or non-zero trailing bits
 * throw a `TypeError`, so two different strings never decode to the same bytes.
 *
 * @module
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const HEX = '0123456789abcdef'
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function reverse(alphabet: string): Int16Array {
  const table = new Int16Array(128).fill(-1)
  for (let i = 0; i < alphabet.length; i++) {
    table[alphabet.charCodeAt(i)] = i
  }
  return table
}
const B64_REV = reverse(B64)
const B64URL_REV = reverse(B64URL)
const B62_REV = reverse(B62)

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function assertBytes(value: unknown, name = 'bytes'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`expected ${name} to be a Uint8Array, got ${typeof value}`)
  }
}

function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new TypeError(`expected ${name} to be a string, got ${typeof value}`)
  }
}

function encode64(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  assertBytes(bytes)
  let out = ''
  const n = bytes.length
  let i = 0
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out +=
      alphabet[v >> 18]! + alphabet[(v >> 12) & 63]! + alphabet[(v >> 6) & 63]! + alphabet[v & 63]!
  }
  const rest = n - i
  if (rest === 1) {
    const v = bytes[i]! << 16
    out += alphabet[v >> 18]! + alphabet[(v >> 12) & 63]! + (pad ? '==' : '')
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out +=
      alphabet[v >> 18]! + alphabet[(v >> 12) & 63]! + alphabet[(v >> 6) & 63]! + (pad ? '=' : '')
  }
  return out
}

function decode64(
  text: string,
  table: Int16Array,
  padding: 'required' | 'forbidden' | 'optional',
  name: string,
): Uint8Array {
  assertString(text, name)
  let end = text.length
  let padCount = 0
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) {
    end--
    padCount++
  }
  if (padCount > 2) {
    throw new TypeError(`invalid ${name}: too much padding`)
  }
  if (padding === 'forbidden' && padCount > 0) {
    throw new TypeError(`invalid ${name}: padding is not allowed`)
  }
  if (padCount > 0 || padding === 'required') {
    if (text.length % 4 !== 0) {
      throw new TypeError(`invalid ${name}: length is not a multiple of 4`)
    }
  }
  const rem = end % 4
  if (rem === 1) {
    throw new TypeError(`invalid ${name}: impossible length`)
  }
  if (padCount > 0 && (4 - rem) % 4 !== padCount) {
    throw new TypeError(`invalid ${name}: wrong padding`)
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4))
  let o = 0
  let acc = 0
  let bits = 0
  // Whole groups of four characters first, three bytes at a time; a bad character drops to the
  // loop below, which reports it.
  let i = 0
  for (; i + 4 <= end; i += 4) {
    const c0 = text.charCodeAt(i)
    const c1 = text.charCodeAt(i + 1)
    const c2 = text.charCodeAt(i + 2)
    const c3 = text.charCodeAt(i + 3)
    if ((c0 | c1 | c2 | c3) >= 128) {
      break
    }
    const a = table[c0]!
    const b = table[c1]!
    const c = table[c2]!
    const d = table[c3]!
    if ((a | b | c | d) < 0) {
      break
    }
    const v = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = v >> 16
    out[o++] = (v >> 8) & 0xff
    out[o++] = v & 0xff
  }
  for (; i < end; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? table[c]! : -1
    if (v < 0) {
      throw new TypeError(`invalid ${name}: unexpected character at ${i}`)
    }
    acc = (acc << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) {
    throw new TypeError(`invalid ${name}: non-zero trailing bits`)
  }
  return out
}

/** Encodes bytes as padded base64 (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  return encode64(bytes, B64, true)
}

/** Decodes padded base64 (RFC 4648 §4) strictly. Throws `TypeError` on any deviation. */
export function fromBase64(text: string): Uint8Array {
  return decode64(text, B64_REV, 'required', 'base64')
}

/** Encodes bytes as unpadded base64url (RFC 4648 §5), as JOSE and tokens use it. */
export function toBase64Url(bytes: Uint8Array): string {
  return encode64(bytes, B64URL, false)
}

/** Decodes base64url, padded or not, strictly. Throws `TypeError` on any deviation. */
export function fromBase64Url(text: string): Uint8Array {
  return decode64(text, B64URL_REV, 'optional', 'base64url')
}

/** Encodes bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  assertBytes(bytes)
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    out += HEX[b >> 4]! + HEX[b & 15]!
  }
  return out
}

/** Decodes hex (either case). Throws `TypeError` on odd length or a non-hex character. */
export function fromHex(text: string): Uint8Array {
  assertString(text, 'hex')
  if (text.length % 2 !== 0) {
    throw new TypeError('invalid hex: odd length')
  }
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(text.charCodeAt(2 * i))
    const lo = hexValue(text.charCodeAt(2 * i + 1))
    if (hi < 0 || lo < 0) {
      throw new TypeError(`invalid hex: unexpected character near ${2 * i}`)
    }
    out[i] = (hi << 4) | lo
  }
  return out
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) {
    return c - 48
  }
  if (c >= 97 && c <= 102) {
    return c - 87
  }
  if (c >= 65 && c <= 70) {
    return c - 55
  }
  return -1
}

/**
 * Encodes bytes as base62 (`0-9A-Za-z`), a fixed-width big-endian number: leading zero bytes are
 * kept as leading `0` characters so the encoding is one-to-one for a given length.
 */
export function toBase62(bytes: Uint8Array, width?: number): string {
  assertBytes(bytes)
  const digits: number[] = []
  for (const byte of bytes) {
    let carry = byte
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j]! * 256
      digits[j] = carry % 62
      carry = Math.floor(carry / 62)
    }
    while (carry > 0) {
      digits.push(carry % 62)
      carry = Math.floor(carry / 62)
    }
  }
  const size = width ?? base62Width(bytes.length)
  if (digits.length > size) {
    throw new RangeError('base62 width too small for the value')
  }
  let out = ''
  for (let i = size - 1; i >= 0; i--) {
    out += B62[digits[i] ?? 0]!
  }
  return out
}

/**
 * Decodes fixed-width base62 (exactly `width` characters, by default `base62Width(length)`) into
 * `length` bytes.
 * Throws `TypeError` on a wrong width, a bad character or overflow.
 */
export function fromBase62(text: string, length: number, width = base62Width(length)): Uint8Array {
  assertString(text, 'base62')
  if (text.length !== width) {
    throw new TypeError(`invalid base62: expected ${width} characters`)
  }
  const bytes = new Uint8Array(length)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? B62_REV[c]! : -1
    if (v < 0) {
      throw new TypeError(`invalid base62: unexpected character at ${i}`)
    }
    let carry = v
    for (let j = length - 1; j >= 0; j--) {
      carry += bytes[j]! * 62
      bytes[j] = carry & 0xff
      carry >>= 8
    }
    if (carry !== 0) {
      throw new TypeError('invalid base62: value too large')
    }
  }
  return bytes
}

/** The number of base62 characters needed for `byteLength` bytes. */
export function base62Width(byteLength: number): number {
  return Math.ceil((byteLength * 8) / Math.log2(62))
}

/** Encodes a string as UTF-8. */
export function utf8(text: string): Uint8Array {
  assertString(text, 'text')
  return encoder.encode(text)
}

/** Decodes UTF-8 strictly: invalid sequences throw a `TypeError`. */
export function fromUtf8(bytes: Uint8Array): string {
  assertBytes(bytes)
  return decoder.decode(bytes)
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let size = 0
  for (const part of parts) {
    assertBytes(part, 'part')
    size += part.length
  }
  const out = new Uint8Array(size)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
