/**
 * RFC 9421 signing for {@link Client.fetch}.
 *
 * @module
 */
import type { Key } from '@countersign/core'
import { createSigner, type KeyMaterial, type SignRequestOptions } from '@countersign/signer'
import { isCryptoKey, keyFromCryptoKey } from '../internal/crypto-key.ts'
import type { Signing } from '../types.ts'

/**
 * Options of {@link rfc9421Signing}.
 *
 * @example
 * ```ts
 * const { privateKey } = await webBackend.generateKeyPair('ed25519', { keyId: 'device-1' })
 * const options: Rfc9421SigningOptions = { key: privateKey, expiresIn: 60 }
 * ```
 */
export interface Rfc9421SigningOptions {
  /**
   * The signing key: a key from core's `importKey` / `generateKeyPair` (in browsers, core's
   * `webBackend` with `extractable: false` keeps the private key out of JavaScript's reach), key
   * material for the signer to import once, or a Web Crypto `CryptoKey` that can sign (for
   * example one kept in IndexedDB; then `keyId` is required). HMAC-SHA256, Ed25519, ECDSA P-256
   * and RSA-PSS SHA-512 keys are supported.
   */
  key: Key | KeyMaterial | CryptoKey
  /** The `keyid` sent. Required with a bare `CryptoKey`; otherwise defaults to the key's id. */
  keyId?: string
  /**
   * Covered components, in order. Default: `@method`, `@target-uri`, `content-digest` (with a
   * body) and `content-type` (when present).
   */
  components?: readonly string[]
  /** The `tag` parameter, when the server expects one. */
  tag?: string
  /** Adds `expires` = `created` + this many seconds. Default: no `expires`. */
  expiresIn?: number
  /** The `Content-Digest` algorithm for bodies. Default `sha-256`. */
  digest?: 'sha-256' | 'sha-512'
}

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'key',
  'keyId',
  'components',
  'tag',
  'expiresIn',
  'digest',
])

/**
 * Signs {@link Client.fetch} requests with RFC 9421 HTTP Message Signatures and an RFC 9530
 * `Content-Digest` (through `@countersign/signer`): by default covering `@method`,
 * `@target-uri`, `content-digest` and `content-type`, with `created` (the servers' time, so a
 * learned clock offset applies), a random `nonce` and `keyid`. Options are checked here; key
 * material is imported once, on first use.
 *
 * @example
 * ```ts
 * import { webBackend } from '@countersign/core'
 * import { createClient, rfc9421Signing } from '@countersign/client'
 *
 * const { privateKey, publicKey } = await webBackend.generateKeyPair('ecdsa-p256-sha256', {
 *   keyId: 'device-1',
 *   extractable: false,
 * })
 * await registerWithServer(publicKey.publicJwk())
 * const client = createClient({ signing: rfc9421Signing({ key: privateKey }) })
 * const response = await client.fetch('https://api.example.com/v1/orders', {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ item: 'book' }),
 * })
 * ```
 *
 * @throws `TypeError` for an unknown option, a missing or public key, a bare `CryptoKey`
 *   without `keyId`, or an invalid component or tag.
 */
export function rfc9421Signing(options: Rfc9421SigningOptions): Signing {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('rfc9421Signing options must be an object')
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_KEYS.has(name)) {
      throw new TypeError(`rfc9421Signing: unknown option ${JSON.stringify(name.slice(0, 64))}`)
    }
  }
  const { key, keyId, components, tag, expiresIn, digest } = options
  let signingKey: Key | KeyMaterial
  if (isCryptoKey(key)) {
    if (typeof keyId !== 'string' || keyId.length === 0) {
      throw new TypeError('rfc9421Signing: keyId is required with a CryptoKey')
    }
    signingKey = keyFromCryptoKey(key, keyId)
  } else if (typeof key === 'object' && key !== null) {
    signingKey = key
  } else {
    throw new TypeError('rfc9421Signing: key must be a Key, key material or a CryptoKey')
  }
  const signerOptions: SignRequestOptions = { key: signingKey }
  if (keyId !== undefined) {
    signerOptions.keyid = keyId
  }
  if (components !== undefined) {
    signerOptions.components = components
  }
  if (tag !== undefined) {
    signerOptions.tag = tag
  }
  if (expiresIn !== undefined) {
    signerOptions.expiresIn = expiresIn
  }
  if (digest !== undefined) {
    signerOptions.digest = digest
  }
  const signer = createSigner(signerOptions)
  return (request, { now }) => signer.signRequest(request, { created: Math.floor(now / 1000) })
}
