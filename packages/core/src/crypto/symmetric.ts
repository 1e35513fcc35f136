/**
 * Argument checks shared by both backends' HKDF-SHA256 and AES-256-GCM, so the Node and Web
 * Crypto backends accept and refuse exactly the same inputs (and fail before any crypto runs).
 *
 * @module
 */
import { assertBytes } from './shared.ts'

/** AES-256 key size in bytes. */
export const AES_GCM_KEY_BYTES = 32
/** The only IV size accepted: the 96-bit IV GCM is designed for (NIST SP 800-38D §8.2). */
export const AES_GCM_IV_BYTES = 12
/** The only tag size used: the full 128-bit GCM tag, appended to the ciphertext. */
export const AES_GCM_TAG_BYTES = 16
/** HKDF-SHA256 output limit: 255 blocks of 32 bytes (RFC 5869 §2.3). */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32
/** The `info` limit, node:crypto's (`hkdfSync`), applied to both backends for parity. */
export const HKDF_MAX_INFO_BYTES = 1024

/**
 * Checks HKDF arguments.
 *
 * @throws `TypeError` when an input is not a `Uint8Array` or `length` is not an integer;
 *   `RangeError` when `length` is outside 1..8160 or `info` exceeds 1024 bytes.
 */
export function checkHkdfArgs(
  ikm: unknown,
  salt: unknown,
  info: unknown,
  length: unknown,
): asserts ikm is Uint8Array {
  assertBytes(ikm, 'ikm')
  assertBytes(salt, 'salt')
  assertBytes(info, 'info')
  if (typeof length !== 'number' || !Number.isInteger(length)) {
    throw new TypeError('expected length to be an integer number of bytes')
  }
  if (length < 1 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new RangeError(
      `expected length to be between 1 and ${HKDF_SHA256_MAX_LENGTH} bytes, got ${length}`,
    )
  }
  if (info.byteLength > HKDF_MAX_INFO_BYTES) {
    throw new RangeError(
      `expected info to be at most ${HKDF_MAX_INFO_BYTES} bytes, got ${info.byteLength}`,
    )
  }
}

/**
 * Checks AES-256-GCM arguments (for both directions; `data` is the plaintext or the sealed bytes).
 *
 * @throws `TypeError` when an input is not a `Uint8Array` (`aad` may be `undefined`);
 *   `RangeError` when the key is not 32 bytes or the IV not 12.
 */
export function checkAesGcmArgs(
  key: unknown,
  iv: unknown,
  data: unknown,
  aad: unknown,
  dataName: string,
): asserts key is Uint8Array {
  assertBytes(key, 'key')
  assertBytes(iv, 'iv')
  assertBytes(data, dataName)
  if (aad !== undefined) {
    assertBytes(aad, 'aad')
  }
  if (key.byteLength !== AES_GCM_KEY_BYTES) {
    throw new RangeError(
      `expected key to be ${AES_GCM_KEY_BYTES} bytes (AES-256), got ${key.byteLength}`,
    )
  }
  if (iv.byteLength !== AES_GCM_IV_BYTES) {
    throw new RangeError(`expected iv to be ${AES_GCM_IV_BYTES} bytes, got ${iv.byteLength}`)
  }
}
