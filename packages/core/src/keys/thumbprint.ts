/**
 * RFC 7638 JSON Web Key thumbprints.
 *
 * @module
 */
import { backend } from '../crypto/backend.ts'
import { jwkThumbprintWith } from '../crypto/shared.ts'

/**
 * Computes the RFC 7638 thumbprint of a JWK: the SHA-256 of its required members (`crv`, `kty`,
 * `x`, `y` for EC; `crv`, `kty`, `x` for OKP; `e`, `kty`, `n` for RSA; `k`, `kty` for oct) as
 * JSON in lexicographic order with no whitespace, encoded as unpadded base64url. Other members
 * (`kid`, `alg`, `use`, private members) do not change it.
 *
 * @example
 * ```ts
 * const kid = await computeJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' })
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 * ```
 *
 * @throws `TypeError` when `kty` is unsupported or a required member is missing or not a string.
 */
export async function computeJwkThumbprint(jwk: JsonWebKey): Promise<string> {
  return jwkThumbprintWith(jwk, backend.digest)
}
