/**
 * Exporting generated keys (node:crypto `KeyObject`s from core's Node backend) as JWK or PEM.
 *
 * @module
 */
import type { KeyObject } from 'node:crypto'
import type { Key } from '@countersign/core'

function keyObject(key: Key): KeyObject {
  const native = key.nativeKey as Partial<KeyObject> | undefined
  if (typeof native?.export !== 'function') {
    throw new Error('this build of @countersign/core does not use node:crypto keys')
  }
  return native as KeyObject
}

/** The private (or secret) JWK of `key`, with its `kid` and `alg`. */
export function exportPrivateJwk(key: Key): JsonWebKey & { kid: string; alg: string } {
  const jwk = keyObject(key).export({ format: 'jwk' })
  const alg =
    key.algorithm === 'hmac-sha256' ? 'HS256' : key.algorithm === 'ed25519' ? 'EdDSA' : 'ES256'
  return { ...jwk, kid: key.keyId, alg }
}

/** The PKCS#8 PEM of a private key, or the SPKI PEM of a public one. */
export function exportPem(key: Key): string {
  const object = keyObject(key)
  return key.type === 'public'
    ? String(object.export({ format: 'pem', type: 'spki' }))
    : String(object.export({ format: 'pem', type: 'pkcs8' }))
}
