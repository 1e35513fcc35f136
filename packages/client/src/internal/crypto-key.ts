/**
 * A Web Crypto `CryptoKey` as a core `Key`, for keys kept as `CryptoKey`s (IndexedDB).
 *
 * @internal
 * @module
 */
import type { Algorithm, Key } from '@countersign/core'

interface AlgorithmOf {
  name: string
  hash?: { name: string }
  namedCurve?: string
}

/** Web Crypto `sign` parameters per algorithm, as core's Web backend uses them. */
const PARAMS: Readonly<Record<string, AlgorithmIdentifier | EcdsaParams | RsaPssParams>> = {
  'hmac-sha256': 'HMAC',
  ed25519: 'Ed25519',
  'ecdsa-p256-sha256': { name: 'ECDSA', hash: 'SHA-256' },
  'rsa-pss-sha512': { name: 'RSA-PSS', saltLength: 64 },
}

function algorithmOf(key: CryptoKey): Algorithm {
  const { name, hash, namedCurve } = key.algorithm as AlgorithmOf
  if (name === 'HMAC' && hash?.name === 'SHA-256') {
    return 'hmac-sha256'
  }
  if (name === 'Ed25519') {
    return 'ed25519'
  }
  if (name === 'ECDSA' && namedCurve === 'P-256') {
    return 'ecdsa-p256-sha256'
  }
  if (name === 'RSA-PSS' && hash?.name === 'SHA-512') {
    return 'rsa-pss-sha512'
  }
  throw new TypeError(
    `a ${String(name)} CryptoKey is not supported: use HMAC SHA-256, Ed25519, ECDSA P-256 or RSA-PSS SHA-512`,
  )
}

/** Whether `value` is a Web Crypto `CryptoKey`. */
export function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey
}

/**
 * Wraps a `CryptoKey` that can sign as a core `Key` (it signs with `crypto.subtle`; it
 * publishes no JWK).
 *
 * @throws `TypeError` for an unsupported algorithm or a key without the `sign` usage.
 */
export function keyFromCryptoKey(cryptoKey: CryptoKey, keyId: string): Key {
  const algorithm = algorithmOf(cryptoKey)
  if (cryptoKey.type === 'public' || !cryptoKey.usages.includes('sign')) {
    throw new TypeError('the CryptoKey cannot sign: give a private or secret key with usage "sign"')
  }
  const params = PARAMS[algorithm] as AlgorithmIdentifier
  const subtle = (): SubtleCrypto => globalThis.crypto.subtle
  return {
    algorithm,
    type: cryptoKey.type === 'secret' ? 'secret' : 'private',
    keyId,
    backend: 'web',
    nativeKey: cryptoKey,
    async sign(data) {
      return new Uint8Array(await subtle().sign(params, cryptoKey, data as Uint8Array<ArrayBuffer>))
    },
    async verify(data, signature) {
      if (!cryptoKey.usages.includes('verify')) {
        return false
      }
      try {
        return await subtle().verify(
          params,
          cryptoKey,
          signature as Uint8Array<ArrayBuffer>,
          data as Uint8Array<ArrayBuffer>,
        )
      } catch {
        return false
      }
    },
    publicJwk() {
      return undefined
    },
  }
}
