/**
 * Prefixed random secrets: API keys, reference tokens and signing secrets that a scanner can
 * recognise when one leaks, and that a server can reject as garbage without a store lookup.
 *
 * A secret is `<prefix>_<body><checksum>`:
 *
 * - `prefix`: 2 to 16 characters of `[a-z0-9]`, with single underscores allowed between them
 *   (`cs_pt`, `cs_ak`, `cs_sk`). It says what the secret is for.
 * - `body`: 256 random bits as fixed-width base62 (`0-9A-Za-z`), always 43 characters.
 * - `checksum`: the CRC-32 (IEEE 802.3) of the ASCII bytes of `<prefix>_<body>`, as fixed-width
 *   base62, always 6 characters.
 *
 * The checksum is not a security control (anyone can compute it); it only lets a scanner or a
 * server tell a real secret from a typo or a random string. Store only `hashSecret`'s
 * hash of a secret, never the secret. The full format is in `docs/spec/secrets.md`.
 *
 * @example
 * ```ts
 * const apiKey = generateSecret('cs_ak') // 'cs_ak_…' (55 characters)
 * checkSecret(apiKey, 'cs_ak') // true
 * checkSecret('cs_ak_not-a-key', 'cs_ak') // false
 * ```
 *
 * @module
 */
import { base62Width, toBase62 } from './encoding.ts'

/** The parts of a well-formed secret, as returned by {@link parseSecret}. */
export interface ParsedSecret {
  /** The prefix, without the `_` that follows it, e.g. `cs_ak`. */
  readonly prefix: string
  /** The 43-character base62 encoding of the 256 random bits. */
  readonly body: string
  /** The 6-character base62 CRC-32 of `<prefix>_<body>`. */
  readonly checksum: string
}

const BODY_BYTES = 32
const BODY_LENGTH = base62Width(BODY_BYTES) // 43
const CHECKSUM_LENGTH = base62Width(4) // 6
const TAIL_LENGTH = BODY_LENGTH + CHECKSUM_LENGTH // 49
const PREFIX_MIN = 2
const PREFIX_MAX = 16
/** The longest string that can be a secret; anything longer is rejected before any other work. */
const SECRET_MAX_LENGTH = PREFIX_MAX + 1 + TAIL_LENGTH // 66
const SECRET_MIN_LENGTH = PREFIX_MIN + 1 + TAIL_LENGTH // 52

const PREFIX_PATTERN = /^[a-z0-9]+(?:_[a-z0-9]+)*$/
const TAIL_PATTERN = /^[0-9A-Za-z]+$/
/**
 * The base62 encoding of 2^256 - 1. The base62 alphabet is in ASCII order, so for fixed-width
 * strings a plain string comparison is a numeric comparison: a body above this is not 256 bits.
 */
const BODY_MAX = toBase62(new Uint8Array(BODY_BYTES).fill(0xff), BODY_LENGTH)

const CRC_TABLE = /* @__PURE__ */ (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    }
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of an ASCII string's bytes. */
function crc32Ascii(text: string): number {
  let crc = 0xffffffff
  for (let i = 0; i < text.length; i++) {
    crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}

/** The 6-character base62 checksum of `<prefix>_<body>` (callers pass ASCII only). */
function checksumOf(prefixAndBody: string): string {
  const crc = crc32Ascii(prefixAndBody)
  const bytes = new Uint8Array([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff])
  return toBase62(bytes, CHECKSUM_LENGTH)
}

function isValidPrefix(prefix: string): boolean {
  return prefix.length >= PREFIX_MIN && prefix.length <= PREFIX_MAX && PREFIX_PATTERN.test(prefix)
}

function assertPrefix(prefix: unknown, name: string): asserts prefix is string {
  if (typeof prefix !== 'string') {
    throw new TypeError(`expected ${name} to be a string, got ${typeof prefix}`)
  }
  if (!isValidPrefix(prefix)) {
    throw new TypeError(
      `invalid ${name}: expected 2-16 characters of a-z and 0-9, with single inner underscores`,
    )
  }
}

/**
 * Formats 32 bytes as a secret with the given prefix. Internal: the bytes must be uniformly
 * random; exported for the worked example in the spec and for tests.
 *
 * @internal
 */
export function formatSecret(prefix: string, bytes: Uint8Array): string {
  assertPrefix(prefix, 'prefix')
  if (!(bytes instanceof Uint8Array) || bytes.length !== BODY_BYTES) {
    throw new TypeError(`expected ${BODY_BYTES} bytes`)
  }
  const prefixAndBody = `${prefix}_${toBase62(bytes, BODY_LENGTH)}`
  return prefixAndBody + checksumOf(prefixAndBody)
}

/**
 * Generates a new secret: 256 bits from the platform CSPRNG (`crypto.getRandomValues`) with
 * the given prefix and a checksum.
 *
 * @param prefix - What the secret is for, e.g. `cs_ak`: 2 to 16 characters of `[a-z0-9]`,
 *   single underscores allowed between them.
 * @returns A secret of `prefix.length + 50` characters, e.g. `cs_ak_<43 chars><6 chars>`.
 * @throws `TypeError` when `prefix` is not a string or not a valid prefix.
 */
export function generateSecret(prefix: string): string {
  assertPrefix(prefix, 'prefix')
  const bytes = new Uint8Array(BODY_BYTES)
  globalThis.crypto.getRandomValues(bytes)
  return formatSecret(prefix, bytes)
}

/**
 * Splits a secret into its parts after checking its shape, alphabet, 256-bit range and
 * checksum. Never throws: anything that is not a well-formed secret (including a non-string,
 * such as the `null` of a missing header) gives `undefined`. Inputs longer than any secret are
 * rejected by length before any other work.
 *
 * A well-formed secret may still be unknown, expired or revoked: this only tells garbage from
 * something worth looking up.
 */
export function parseSecret(token: string): ParsedSecret | undefined {
  if (typeof token !== 'string') {
    return undefined
  }
  const length = token.length
  if (length > SECRET_MAX_LENGTH || length < SECRET_MIN_LENGTH) {
    return undefined
  }
  const split = length - TAIL_LENGTH - 1
  if (token.charCodeAt(split) !== 95 /* _ */) {
    return undefined
  }
  const prefix = token.slice(0, split)
  const tail = token.slice(split + 1)
  if (!isValidPrefix(prefix) || !TAIL_PATTERN.test(tail)) {
    return undefined
  }
  const body = tail.slice(0, BODY_LENGTH)
  const checksum = tail.slice(BODY_LENGTH)
  if (body > BODY_MAX) {
    return undefined
  }
  if (checksumOf(token.slice(0, length - CHECKSUM_LENGTH)) !== checksum) {
    return undefined
  }
  return { prefix, body, checksum }
}

/**
 * Whether `token` is a well-formed secret ({@link parseSecret}), and, when `expectedPrefix` is
 * given, has exactly that prefix. Never throws on `token`.
 *
 * @throws `TypeError` when `expectedPrefix` is given but is not a valid prefix (a caller bug).
 */
export function checkSecret(token: string, expectedPrefix?: string): boolean {
  if (expectedPrefix !== undefined) {
    assertPrefix(expectedPrefix, 'expectedPrefix')
  }
  const parsed = parseSecret(token)
  return parsed !== undefined && (expectedPrefix === undefined || parsed.prefix === expectedPrefix)
}
