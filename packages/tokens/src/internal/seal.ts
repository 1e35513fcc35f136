/**
 * AES-256-GCM sealing with Web Crypto: values at rest are encrypted under a master key (API key
 * secrets, signing keys) or under a key derived from the token itself (parameter token and
 * opaque user token payloads), always with associated data binding them to their record.
 *
 * Sealed format: `v1.<base64url 12-byte IV>.<base64url ciphertext+tag>`.
 *
 * @module
 */
import { fromBase64Url, toBase64Url } from '@countersign/core'
import { randomBytes } from './random.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Input accepted for a master key: 32 raw bytes, or their base64url (or base64) encoding. */
export type MasterKeyInput = Uint8Array | string

/**
 * Imports a 256-bit master key for AES-GCM.
 *
 * @throws `TypeError` when the key is not exactly 32 bytes.
 */
export function importMasterKey(input: MasterKeyInput): Promise<CryptoKey> {
  const bytes = masterKeyBytes(input)
  return crypto.subtle.importKey('raw', copy(bytes), { name: 'AES-GCM' }, false, [
    'encrypt',
    'decrypt',
  ])
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

/** Derives a one-record AES-256-GCM key from a high-entropy token with HKDF-SHA256. */
export async function deriveTokenKey(token: string, info: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', encoder.encode(token), 'HKDF', false, [
    'deriveKey',
  ])
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(info) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

/** Encrypts `plaintext` with `key`, binding `aad`. */
export async function seal(key: CryptoKey, plaintext: string, aad: string): Promise<string> {
  const iv = randomBytes(12)
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: copy(iv), additionalData: encoder.encode(aad) },
    key,
    encoder.encode(plaintext),
  )
  return `v1.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`
}

/** Decrypts a value made by {@link seal}; `undefined` when it is malformed or does not authenticate. */
export async function unseal(
  key: CryptoKey,
  sealed: string,
  aad: string,
): Promise<string | undefined> {
  if (typeof sealed !== 'string') {
    return undefined
  }
  const parts = sealed.split('.')
  if (parts.length !== 3 || parts[0] !== 'v1') {
    return undefined
  }
  try {
    const iv = fromBase64Url(parts[1] ?? '')
    const ct = fromBase64Url(parts[2] ?? '')
    if (iv.byteLength !== 12 || ct.byteLength < 16) {
      return undefined
    }
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: copy(iv), additionalData: encoder.encode(aad) },
      key,
      copy(ct),
    )
    return decoder.decode(pt)
  } catch {
    return undefined
  }
}

/** A copy backed by a plain `ArrayBuffer` (what Web Crypto's types want). */
function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.byteLength)
  out.set(bytes)
  return out
}
