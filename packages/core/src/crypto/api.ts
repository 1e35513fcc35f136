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

export { computeJwkThumbprint } from '../keys/thumbprint.ts'

export { hashSecret } from '../secrets-hash.ts'
