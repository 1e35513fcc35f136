/**
 * Random identifiers from the Web Crypto CSPRNG.
 *
 * @module
 */
import { toBase64Url } from '@countersign/core'

/** `count` random bytes. */
export function randomBytes(count: number): Uint8Array {
  const out = new Uint8Array(count)
  crypto.getRandomValues(out)
  return out
}

/** A random base64url identifier of `bytes` bytes (default 16, 128 bits), with an optional prefix. */
export function randomId(prefix = '', bytes = 16): string {
  return prefix + toBase64Url(randomBytes(bytes))
}
