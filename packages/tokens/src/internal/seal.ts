/**
 * AES-256-GCM sealing through core's `aesGcmEncrypt` / `aesGcmDecrypt` / `hkdfSha256` (node:crypto
 * in the `node` build, Web Crypto elsewhere): values at rest are encrypted under a master key (API
 * key secrets, signing keys) or under a key derived from the token itself (parameter token and
 * opaque user token payloads), always with associated data binding them to their record.
 *
 * Sealed format (unchanged since the Web Crypto-only version, so older records still open):
 * `v1.<base64url 12-byte IV>.<base64url ciphertext+tag>`, with the UTF-8 `aad` as GCM additional
 * data and, for token keys, HKDF-SHA256(ikm = UTF-8 token, salt = empty, info = UTF-8 info) → 32
 * bytes. Format `v2` (parameter-token records since decision 31) is the same layout under the
 * `v2` tag, with the record key from {@link splitTokenHash} instead of HKDF.
 *
 * @module
 */
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  digest,
  fromBase64Url,
  hkdfSha256,
  toBase64Url,
} from '@countersign/core'
import { randomBytes } from './random.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const EMPTY = new Uint8Array(0)

/** Input accepted for a master key: 32 raw bytes, or their base64url (or base64) encoding. */
export type MasterKeyInput = Uint8Array | string

/** A 256-bit AES-GCM key for {@link seal} / {@link unseal}. Opaque outside this module. */
export interface SealKey {
  /** @internal The 32 raw key bytes, owned by this object. */
  readonly bytes: Uint8Array
}

function sealKey(bytes: Uint8Array): SealKey {
  return Object.freeze({ bytes })
}

/**
 * Imports a 256-bit master key for AES-GCM (a private copy of the bytes).
 *
 * @throws `TypeError` (synchronously, as before) when the key is not exactly 32 bytes.
 */
export function importMasterKey(input: MasterKeyInput): Promise<SealKey> {
  return Promise.resolve(sealKey(masterKeyBytes(input).slice()))
}

/**
 * Decodes and checks a master key synchronously.
 *
 * @throws `TypeError` when the key is not exactly 32 bytes.
 */
export function masterKeyBytes(input: MasterKeyInput): Uint8Array {
  let bytes: Uint8Array
  if (typeof input === 'string') {
    try {
      bytes = fromBase64Url(
        input.trim().replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, ''),
      )
    } catch {
      throw new TypeError('expected masterKey to be 32 bytes encoded as base64url')
    }
  } else if (input instanceof Uint8Array) {
    bytes = input
  } else {
    throw new TypeError('expected masterKey to be a Uint8Array or a base64url string')
  }
  if (bytes.byteLength !== 32) {
    throw new TypeError(`expected masterKey to be 32 bytes, got ${bytes.byteLength}`)
  }
  return bytes
}

/** The UTF-8 of each HKDF `info` string in use (a handful of constants). */
const infoBytes = new Map<string, Uint8Array>()

/** Derives a one-record AES-256-GCM key from a high-entropy token with HKDF-SHA256. */
export async function deriveTokenKey(token: string, info: string): Promise<SealKey> {
  let infoUtf8 = infoBytes.get(info)
  if (infoUtf8 === undefined) {
    infoUtf8 = encoder.encode(info)
    if (infoBytes.size < 16) {
      infoBytes.set(info, infoUtf8)
    }
  }
  return sealKey(await hkdfSha256(encoder.encode(token), EMPTY, infoUtf8, 32))
}

/** The lookup id and the record key that format v2 takes from one hash of a token. */
export interface TokenHash {
  /** base64url of the first 32 bytes: the record's store id. */
  readonly id: string
  /** The last 32 bytes: the record's AES-256-GCM key. */
  readonly key: SealKey
}

/**
 * Format v2's derivation: `H = SHA-512(UTF-8(domain) || 0x00 || UTF-8(token))`, the lookup id
 * from `H[0..32]` and the record key from `H[32..64]`. The token is a 256-bit random secret, so
 * one hash gives both halves full strength; no HKDF per record is needed.
 */
export async function splitTokenHash(token: string, domain: string): Promise<TokenHash> {
  const h = await digest('sha-512', encoder.encode(`${domain}\u0000${token}`))
  return { id: toBase64Url(h.subarray(0, 32)), key: sealKey(h.slice(32, 64)) }
}

/** The sealed-value formats: the tag in front says which key derivation the record used. */
export type SealVersion = 'v1' | 'v2'

/** Encrypts `plaintext` with `key`, binding `aad`. */
export async function seal(
  key: SealKey,
  plaintext: string,
  aad: string,
  version: SealVersion = 'v1',
): Promise<string> {
  const iv = randomBytes(12)
  const ct = await aesGcmEncrypt(key.bytes, iv, encoder.encode(plaintext), encoder.encode(aad))
  return `${version}.${toBase64Url(iv)}.${toBase64Url(ct)}`
}

/** Decrypts a value made by {@link seal}; `undefined` when it is malformed or does not authenticate. */
export async function unseal(
  key: SealKey,
  sealed: string,
  aad: string,
  version: SealVersion = 'v1',
): Promise<string | undefined> {
  if (typeof sealed !== 'string') {
    return undefined
  }
  const parts = sealed.split('.')
  if (parts.length !== 3 || parts[0] !== version) {
    return undefined
  }
  try {
    const iv = fromBase64Url(parts[1] ?? '')
    const ct = fromBase64Url(parts[2] ?? '')
    if (iv.byteLength !== 12 || ct.byteLength < 16) {
      return undefined
    }
    const pt = await aesGcmDecrypt(key.bytes, iv, ct, encoder.encode(aad))
    return pt === undefined ? undefined : decoder.decode(pt)
  } catch {
    return undefined
  }
}
