/**
 * PEM decoding and the small amount of DER needed to bring every supported PEM form to SPKI
 * (public) or PKCS#8 (private) with a plain algorithm identifier, so both backends import the
 * same bytes the same way:
 *
 * - `PUBLIC KEY` (SPKI) and `PRIVATE KEY` (PKCS#8) are checked against the algorithm;
 *   `id-RSASSA-PSS` keys (RFC 4055, as in RFC 9421 B.1.2) are relabelled `rsaEncryption`
 *   (the PSS parameters are fixed by the Countersign algorithm anyway).
 * - `RSA PUBLIC KEY` / `RSA PRIVATE KEY` (PKCS#1) are wrapped in SPKI / PKCS#8.
 * - `EC PRIVATE KEY` (SEC1, P-256 only) is wrapped in PKCS#8.
 *
 * This is a structural reader, not a validator: the backend parses the result fully.
 * Encrypted keys are refused. Errors never quote key bytes.
 *
 * @internal
 * @module
 */
import { fromBase64 } from '../encoding.ts'
import { ALGORITHM_SPECS } from './shared.ts'
import type { Algorithm } from './types.ts'

/** A PEM key brought to a form Web Crypto and node:crypto both import. */
export interface NormalizedPem {
  /** `spki` for public keys, `pkcs8` for private keys. */
  readonly format: 'spki' | 'pkcs8'
  /** The DER bytes in that format. */
  readonly der: Uint8Array
}

/** Upper bound on PEM text (an RSA-8192 PKCS#8 key is about 6.5 KiB). */
const MAX_PEM_LENGTH = 32 * 1024

const TAG_INTEGER = 0x02
const TAG_BIT_STRING = 0x03
const TAG_OCTET_STRING = 0x04
const TAG_NULL = 0x05
const TAG_OID = 0x06
const TAG_SEQUENCE = 0x30
const TAG_CONTEXT_0 = 0xa0

// OID contents (without tag and length).
const OID_RSA_ENCRYPTION = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]
const OID_RSASSA_PSS = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a]
const OID_EC_PUBLIC_KEY = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]
const OID_P256 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
const OID_ED25519 = [0x2b, 0x65, 0x70]

function malformed(): TypeError {
  return new TypeError('invalid PEM: the DER structure is malformed')
}

interface Tlv {
  readonly tag: number
  /** Offset of the tag byte. */
  readonly start: number
  /** Offset of the first content byte. */
  readonly contentStart: number
  /** Offset just past the content. */
  readonly end: number
}

function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) {
    throw malformed()
  }
  const tag = der[offset]!
  let length = der[offset + 1]!
  let pos = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 3 || pos + count > limit) {
      throw malformed()
    }
    length = 0
    for (let i = 0; i < count; i++) {
      length = length * 256 + der[pos++]!
    }
  }
  const end = pos + length
  if (end > limit) {
    throw malformed()
  }
  return { tag, start: offset, contentStart: pos, end }
}

/** Reads the children of a constructed TLV. */
function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  let pos = parent.contentStart
  while (pos < parent.end) {
    const child = readTlv(der, pos, parent.end)
    out.push(child)
    pos = child.end
  }
  return out
}

function expectTag(tlv: Tlv | undefined, tag: number): Tlv {
  if (tlv === undefined || tlv.tag !== tag) {
    throw malformed()
  }
  return tlv
}

function contentEquals(der: Uint8Array, tlv: Tlv, expected: readonly number[]): boolean {
  if (tlv.end - tlv.contentStart !== expected.length) {
    return false
  }
  for (let i = 0; i < expected.length; i++) {
    if (der[tlv.contentStart + i] !== expected[i]) {
      return false
    }
  }
  return true
}

function encodeLength(length: number): number[] {
  if (length < 0x80) {
    return [length]
  }
  const bytes: number[] = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) {
    bytes.unshift(n & 0xff)
  }
  return [0x80 | bytes.length, ...bytes]
}

function encodeTlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let size = 0
  for (const part of parts) {
    size += part.length
  }
  const header = [tag, ...encodeLength(size)]
  const out = new Uint8Array(header.length + size)
  out.set(header, 0)
  let offset = header.length
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

function oid(content: readonly number[]): Uint8Array {
  return encodeTlv(TAG_OID, Uint8Array.from(content))
}

const RSA_ALGORITHM_ID = encodeTlv(
  TAG_SEQUENCE,
  oid(OID_RSA_ENCRYPTION),
  Uint8Array.of(TAG_NULL, 0),
)
const P256_ALGORITHM_ID = encodeTlv(TAG_SEQUENCE, oid(OID_EC_PUBLIC_KEY), oid(OID_P256))
const VERSION_0 = Uint8Array.of(TAG_INTEGER, 1, 0)

function wrapPkcs8(algorithmId: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return encodeTlv(TAG_SEQUENCE, VERSION_0, algorithmId, encodeTlv(TAG_OCTET_STRING, privateKey))
}

function wrapSpki(algorithmId: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return encodeTlv(
    TAG_SEQUENCE,
    algorithmId,
    encodeTlv(TAG_BIT_STRING, Uint8Array.of(0), publicKey),
  )
}

/** Decodes one PEM block strictly (one block, nothing around it but whitespace). */
export function decodePem(text: string): { label: string; der: Uint8Array } {
  if (typeof text !== 'string') {
    throw new TypeError('a PEM key must be a string')
  }
  if (text.length > MAX_PEM_LENGTH) {
    throw new TypeError('invalid PEM: too long')
  }
  const match =
    /^-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n([A-Za-z0-9+/=\s]*)-----END ([A-Z0-9 ]{1,40})-----$/.exec(
      text.trim(),
    )
  if (match === null || match[1] !== match[3]) {
    throw new TypeError('invalid PEM: expected one "-----BEGIN ...-----" block')
  }
  let der: Uint8Array
  try {
    der = fromBase64(match[2]!.replace(/\s+/g, ''))
  } catch {
    throw new TypeError('invalid PEM: the body is not valid base64')
  }
  if (der.length === 0) {
    throw new TypeError('invalid PEM: empty body')
  }
  return { label: match[1]!, der }
}

type KeyFamily = 'rsa' | 'ec' | 'ed25519'

function familyOf(algorithm: Algorithm): KeyFamily {
  const kty = ALGORITHM_SPECS[algorithm].kty
  if (kty === 'RSA') {
    return 'rsa'
  }
  if (kty === 'EC') {
    return 'ec'
  }
  if (kty === 'OKP') {
    return 'ed25519'
  }
  throw new TypeError(`${algorithm} keys cannot be imported from PEM; pass the raw secret bytes`)
}

function mismatch(algorithm: Algorithm): TypeError {
  return new TypeError(`the PEM key does not fit ${algorithm}`)
}

/** Throws unless the AlgorithmIdentifier `algId` names a key of `family`. */
function checkAlgorithmId(
  der: Uint8Array,
  algId: Tlv,
  family: KeyFamily,
  algorithm: Algorithm,
): void {
  const [id, params] = children(der, algId)
  const oidTlv = expectTag(id, TAG_OID)
  let ok: boolean
  if (family === 'rsa') {
    ok =
      contentEquals(der, oidTlv, OID_RSA_ENCRYPTION) || contentEquals(der, oidTlv, OID_RSASSA_PSS)
  } else if (family === 'ec') {
    ok =
      contentEquals(der, oidTlv, OID_EC_PUBLIC_KEY) &&
      params !== undefined &&
      params.tag === TAG_OID &&
      contentEquals(der, params, OID_P256)
  } else {
    ok = contentEquals(der, oidTlv, OID_ED25519) && params === undefined
  }
  if (!ok) {
    throw mismatch(algorithm)
  }
}

/** Whether the AlgorithmIdentifier `algId` is `id-RSASSA-PSS`. */
function isPss(der: Uint8Array, algId: Tlv): boolean {
  const id = expectTag(children(der, algId)[0], TAG_OID)
  return contentEquals(der, id, OID_RSASSA_PSS)
}

function normalizeSpki(der: Uint8Array, family: KeyFamily, algorithm: Algorithm): Uint8Array {
  const outer = readTlv(der, 0, der.length)
  if (outer.tag !== TAG_SEQUENCE || outer.end !== der.length) {
    throw malformed()
  }
  const [algId, key, extra] = children(der, outer)
  const id = expectTag(algId, TAG_SEQUENCE)
  const bitString = expectTag(key, TAG_BIT_STRING)
  // A key is a whole number of bytes: the "unused bits" count must be 0.
  if (
    extra !== undefined ||
    bitString.end === bitString.contentStart ||
    der[bitString.contentStart] !== 0
  ) {
    throw malformed()
  }
  checkAlgorithmId(der, id, family, algorithm)
  if (!isPss(der, id)) {
    return der
  }
  return encodeTlv(TAG_SEQUENCE, RSA_ALGORITHM_ID, der.subarray(bitString.start, bitString.end))
}

function normalizePkcs8(der: Uint8Array, family: KeyFamily, algorithm: Algorithm): Uint8Array {
  const outer = readTlv(der, 0, der.length)
  if (outer.tag !== TAG_SEQUENCE || outer.end !== der.length) {
    throw malformed()
  }
  const [version, algId, key] = children(der, outer)
  expectTag(version, TAG_INTEGER)
  const id = expectTag(algId, TAG_SEQUENCE)
  const octets = expectTag(key, TAG_OCTET_STRING)
  checkAlgorithmId(der, id, family, algorithm)
  if (!isPss(der, id)) {
    return der
  }
  return wrapPkcs8(RSA_ALGORITHM_ID, der.subarray(octets.contentStart, octets.end))
}

function wrapSec1(der: Uint8Array, algorithm: Algorithm): Uint8Array {
  const outer = readTlv(der, 0, der.length)
  if (outer.tag !== TAG_SEQUENCE || outer.end !== der.length) {
    throw malformed()
  }
  const [version, privateKey, ...rest] = children(der, outer)
  const v = expectTag(version, TAG_INTEGER)
  if (!contentEquals(der, v, [1])) {
    throw malformed()
  }
  expectTag(privateKey, TAG_OCTET_STRING)
  const params = rest.find((tlv) => tlv.tag === TAG_CONTEXT_0)
  if (params !== undefined) {
    const curve = expectTag(children(der, params)[0], TAG_OID)
    if (!contentEquals(der, curve, OID_P256)) {
      throw mismatch(algorithm)
    }
  }
  return wrapPkcs8(P256_ALGORITHM_ID, der)
}

/**
 * Decodes a PEM key for `algorithm` and brings it to SPKI or PKCS#8.
 *
 * @throws `TypeError` for malformed or encrypted PEM, an unsupported label, or a key that does
 * not fit `algorithm`.
 */
export function normalizePem(text: string, algorithm: Algorithm): NormalizedPem {
  const family = familyOf(algorithm)
  const { label, der } = decodePem(text)
  switch (label) {
    case 'PUBLIC KEY':
      return { format: 'spki', der: normalizeSpki(der, family, algorithm) }
    case 'PRIVATE KEY':
      return { format: 'pkcs8', der: normalizePkcs8(der, family, algorithm) }
    case 'RSA PUBLIC KEY':
      if (family !== 'rsa') {
        throw mismatch(algorithm)
      }
      checkSequence(der)
      return { format: 'spki', der: wrapSpki(RSA_ALGORITHM_ID, der) }
    case 'RSA PRIVATE KEY':
      if (family !== 'rsa') {
        throw mismatch(algorithm)
      }
      checkSequence(der)
      return { format: 'pkcs8', der: wrapPkcs8(RSA_ALGORITHM_ID, der) }
    case 'EC PRIVATE KEY':
      if (family !== 'ec') {
        throw mismatch(algorithm)
      }
      return { format: 'pkcs8', der: wrapSec1(der, algorithm) }
    case 'ENCRYPTED PRIVATE KEY':
      throw new TypeError('encrypted private keys are not supported: decrypt the key first')
    default:
      throw new TypeError(`unsupported PEM type "${label}": expected PUBLIC KEY or PRIVATE KEY`)
  }
}

function checkSequence(der: Uint8Array): void {
  const outer = readTlv(der, 0, der.length)
  if (outer.tag !== TAG_SEQUENCE || outer.end !== der.length) {
    throw malformed()
  }
}
