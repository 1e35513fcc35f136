/**
 * Random bytes and nonces from the platform CSPRNG (`crypto.getRandomValues`).
 *
 * @module
 */
import { toBase64Url } from '../encoding.ts'

/** `getRandomValues` fills at most 65,536 bytes per call. */
const MAX_CHUNK = 65_536

/**
 * Returns `length` cryptographically random bytes.
 *
 * @throws `RangeError` when `length` is not a non-negative safe integer.
 */
export function randomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError('length must be a non-negative safe integer')
  }
  const out = new Uint8Array(length)
  for (let offset = 0; offset < length; offset += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(offset + MAX_CHUNK, length)))
  }
  return out
}

/**
 * Returns a random nonce of `bytes` random bytes (default 16, that is 128 bits) as unpadded
 * base64url, for RFC 9421's `nonce` parameter and similar single-use values.
 *
 * @throws `RangeError` when `bytes` is not an integer of at least 8 (64 bits is the floor for a
 * value that must not repeat).
 */
export function generateNonce(bytes = 16): string {
  if (!Number.isSafeInteger(bytes) || bytes < 8) {
    throw new RangeError('a nonce needs an integer number of bytes, at least 8')
  }
  return toBase64Url(randomBytes(bytes))
}
