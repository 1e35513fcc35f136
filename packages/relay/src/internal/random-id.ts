/**
 * Request ids from a pool of random bytes: one `getRandomValues` call per 256 ids instead of
 * one per request (each call is a round trip into the crypto binding). The bytes are the same
 * CSPRNG output, each used once.
 *
 * @internal
 * @module
 */
import { Buffer } from 'node:buffer'

const ID_BYTES = 12
const POOL_BYTES = ID_BYTES * 256
let pool = Buffer.alloc(0)
let offset = 0

/** 12 random bytes as base64url (16 characters), like core's `generateNonce(12)`. */
export function randomId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = Buffer.allocUnsafeSlow(POOL_BYTES)
    globalThis.crypto.getRandomValues(pool)
    offset = 0
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES)
  offset += ID_BYTES
  return id
}
