/**
 * Nonces from a small pool of CSPRNG output: one `crypto.getRandomValues` call fills 256 nonces,
 * which costs far less than one call per nonce. Every pool byte is handed out once. Nonces are
 * public once sent, so keeping the next few in memory reveals nothing an attacker can use
 * without already reading this process's memory.
 *
 * @module
 */
import { toBase64Url } from '@countersign/core'

const NONCE_BYTES = 16
const POOL_BYTES = NONCE_BYTES * 256

let pool = new Uint8Array(0)
let offset = 0

/** A fresh 128-bit nonce, as unpadded base64url (22 characters). */
export function nextNonce(): string {
  if (offset + NONCE_BYTES > pool.length) {
    pool = new Uint8Array(POOL_BYTES)
    globalThis.crypto.getRandomValues(pool)
    offset = 0
  }
  const bytes = pool.subarray(offset, offset + NONCE_BYTES)
  offset += NONCE_BYTES
  return toBase64Url(bytes)
}
