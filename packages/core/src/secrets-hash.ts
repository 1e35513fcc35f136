/**
 * The storage form of a secret: what a store keeps in place of the secret itself.
 *
 * @module
 */
import { backend } from './crypto/backend.ts'
import { toBase64Url, utf8 } from './encoding.ts'

/**
 * Hashes a secret for storage and lookup: base64url (unpadded) of SHA-256 over the UTF-8 bytes
 * of `token`, always 43 characters. Stores keep this hash, never the secret; to check a
 * presented secret, hash it and look the hash up. A plain hash (no salt, no slow KDF) is right
 * here because secrets carry 256 random bits: there is nothing to guess.
 *
 * Reject garbage first with `checkSecret` so that a malformed token costs no hash and no
 * lookup.
 *
 * @example
 * ```ts
 * const stored = await hashSecret(apiKey) // e.g. 'mK3v…' (43 characters)
 * ```
 *
 * @throws `TypeError` (as a rejected promise) when `token` is not a string.
 */
export async function hashSecret(token: string): Promise<string> {
  if (typeof token !== 'string') {
    throw new TypeError(`expected token to be a string, got ${typeof token}`)
  }
  if (typeof backend.digestTextBase64UrlSync === 'function') {
    return backend.digestTextBase64UrlSync('sha-256', token)
  }
  return toBase64Url(await backend.digest('sha-256', utf8(token)))
}
