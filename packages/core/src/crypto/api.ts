/**
 * Crypto operations bound to this build's backend (see `backend.ts`).
 *
 * @module
 */
import { backend } from './backend.ts'
import type {
  Algorithm,
  DigestAlgorithm,
  GenerateKeyOptions,
  ImportKeyOptions,
  Key,
  KeyInput,
  KeyPair,
} from './types.ts'

/** `'node'` when this build uses node:crypto, `'web'` when it uses Web Crypto. */
export const cryptoBackendName: 'node' | 'web' = backend.name

/** Hashes `data` with SHA-256, SHA-512 or (legacy only) SHA-1. */
export function digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  return backend.digest(algorithm, data)
}

/**
 * Imports a key once for one algorithm: raw secret bytes (HMAC), a PEM string (SPKI public or
 * PKCS#8 private key), or a JWK.
 *
 * @throws `TypeError` when the material is malformed or does not fit the algorithm.
 */
export function importKey(input: KeyInput, options?: ImportKeyOptions): Promise<Key> {
  return backend.importKey(input, options)
}

/** Generates a key pair for `algorithm` (for HMAC: a 256-bit secret, returned as both halves). */
export function generateKeyPair(
  algorithm: Algorithm,
  options?: GenerateKeyOptions,
): Promise<KeyPair> {
  return backend.generateKeyPair(algorithm, options)
}

/**
 * HKDF-SHA256 (RFC 5869): derives `length` bytes from input keying material `ikm`, an optional
 * `salt` (empty means the RFC's all-zero default) and a context string `info`. The Node build
 * runs `node:crypto`'s `hkdfSync`; other builds run Web Crypto.
 *
 * @param ikm - Input keying material (a secret or high-entropy token).
 * @param salt - Salt; may be empty.
 * @param info - Context and application-specific information; at most 1024 bytes.
 * @param length - Output length in bytes, 1 to 8160 (255 × 32).
 * @throws `TypeError` for non-`Uint8Array` inputs or a non-integer `length`; `RangeError` for an
 *   out-of-range `length` or an over-long `info`.
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return backend.hkdfSha256(ikm, salt, info, length)
}

/**
 * AES-256-GCM encryption with a 12-byte IV and the full 16-byte tag. Resolves to
 * `ciphertext || tag` (the layout Web Crypto's `encrypt` produces), so values sealed by either
 * build open in the other. The IV must never repeat under one key: use 12 random bytes per
 * message (safe for up to 2^32 messages per key) or a counter.
 *
 * @param key - 32 raw key bytes.
 * @param iv - 12 bytes, unique per message under `key`.
 * @param plaintext - The data to encrypt; may be empty.
 * @param aad - Additional authenticated data: bound to the ciphertext, not encrypted.
 * @throws `TypeError` for non-`Uint8Array` inputs; `RangeError` when `key` is not 32 bytes or
 *   `iv` not 12.
 */
export function aesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  return backend.aesGcmEncrypt(key, iv, plaintext, aad)
}

/**
 * Opens `ciphertext || tag` made by {@link aesGcmEncrypt}. Resolves to the plaintext, or to
 * `undefined` (it never rejects for bad data) when the value does not authenticate: wrong key,
 * IV or `aad`, tampered, or shorter than the 16-byte tag. No unauthenticated plaintext is ever
 * returned.
 *
 * @param key - 32 raw key bytes.
 * @param iv - The 12-byte IV used to encrypt.
 * @param sealed - `ciphertext || tag`.
 * @param aad - The additional authenticated data used to encrypt, if any.
 * @throws `TypeError` for non-`Uint8Array` inputs; `RangeError` when `key` is not 32 bytes or
 *   `iv` not 12 (caller bugs, not authentication failures).
 */
export function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array | undefined> {
  return backend.aesGcmDecrypt(key, iv, sealed, aad)
}

export { computeJwkThumbprint } from '../keys/thumbprint.ts'

export { hashSecret } from '../secrets-hash.ts'
