/**
 * The crypto contract shared by the Node (`node:crypto`) and Web Crypto backends.
 *
 * @module
 */

/** Signature algorithms, named as in the RFC 9421 HTTP Signature Algorithms registry. */
export type Algorithm =
  | 'hmac-sha256'
  | 'hmac-sha1'
  | 'ed25519'
  | 'ecdsa-p256-sha256'
  | 'rsa-pss-sha512'
  | 'rsa-v1_5-sha256'

/** Every supported algorithm, in a stable order. */
export const ALGORITHMS: readonly Algorithm[] = [
  'hmac-sha256',
  'hmac-sha1',
  'ed25519',
  'ecdsa-p256-sha256',
  'rsa-pss-sha512',
  'rsa-v1_5-sha256',
]

/** Digest algorithms. `sha-1` exists only for the legacy HMAC-SHA1 preset. */
export type DigestAlgorithm = 'sha-256' | 'sha-512' | 'sha-1'

/** What a key can do. */
export type KeyType = 'secret' | 'private' | 'public'

/**
 * A key bound to one algorithm, imported once and reused. `sign` exists on secret and private
 * keys; `verify` on every key (a private key verifies with its public half).
 */
export interface Key {
  /** The algorithm this key is for; a key is never used with another. */
  readonly algorithm: Algorithm
  /** `secret` (HMAC), `private` or `public`. */
  readonly type: KeyType
  /** The key id: given at import, or the RFC 7638 thumbprint of the public key. */
  readonly keyId: string
  /** Which backend holds the key material. */
  readonly backend: 'node' | 'web'
  /**
   * The backend's own key object (a Web Crypto `CryptoKey` or a `node:crypto` `KeyObject`), for
   * interop with libraries such as `jose`. Treat it as opaque.
   */
  readonly nativeKey: unknown
  /**
   * Signs `data`. Throws `TypeError` on a public key. On the Node backend an asymmetric key
   * (Ed25519, ECDSA, RSA) signs on libuv's thread pool, leaving the event loop free; Web Crypto
   * is asynchronous already.
   */
  sign(data: Uint8Array): Promise<Uint8Array>
  /**
   * Verifies `signature` over `data`. Returns `false` (never throws) for a wrong-length or bad
   * signature. Runs where {@link Key.sign} runs.
   */
  verify(data: Uint8Array, signature: Uint8Array): Promise<boolean>
  /** Synchronous `sign` on the calling thread, present on the Node backend only. */
  readonly signSync?: (data: Uint8Array) => Uint8Array
  /** Synchronous `verify` on the calling thread, present on the Node backend only. */
  readonly verifySync?: (data: Uint8Array, signature: Uint8Array) => boolean
  /** The public JWK (with `kid`, `alg`, `use: "sig"`), for asymmetric keys; `undefined` for secrets. */
  publicJwk(): PublicJwk | undefined
}

/** A public JWK as Countersign publishes it: always with `kid`, `alg` and `use: "sig"`. */
export type PublicJwk = JsonWebKey & { kid: string; alg: string; use: 'sig' }

/** What {@link importKey} accepts: raw secret bytes, a PEM string (SPKI or PKCS#8), or a JWK. */
export type KeyInput = Uint8Array | string | JsonWebKey

/** Options for importing a key. */
export interface ImportKeyOptions {
  /** The algorithm. Required for raw secrets and PEM; inferred from a JWK's `kty`/`crv`/`alg` when absent. */
  algorithm?: Algorithm
  /**
   * The key id. Defaults to a JWK's `kid`, else the RFC 7638 thumbprint. Secrets shorter than
   * 32 bytes must be given one (a thumbprint of a guessable secret would leak it).
   */
  keyId?: string
  /** Web backend: whether the `CryptoKey` may be exported. Default `false`. */
  extractable?: boolean
}

/** Options for generating a key pair or secret. */
export interface GenerateKeyOptions {
  /** The key id; defaults to the RFC 7638 thumbprint of the public key (or of the secret). */
  keyId?: string
  /** Web backend: whether the private `CryptoKey` may be exported. Default `false`. */
  extractable?: boolean
}

/** A generated key pair. */
export interface KeyPair {
  /** Signs (and verifies). For HMAC, the secret. */
  privateKey: Key
  /** Verifies only. For HMAC, the same secret as `privateKey`. */
  publicKey: Key
}

/** The operations a backend provides. Both backends pass the same tests. */
export interface CryptoBackend {
  /** `'node'` for node:crypto, `'web'` for Web Crypto. */
  readonly name: 'node' | 'web'
  /** Hashes `data`. */
  digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array>
  /** Hashes `data` synchronously, where the platform can (node:crypto); absent on Web Crypto. */
  readonly digestSync?: (algorithm: DigestAlgorithm, data: Uint8Array) => Uint8Array
  /**
   * Hashes `data` synchronously and returns the digest as padded base64, encoded natively
   * (node:crypto); absent on Web Crypto.
   */
  readonly digestBase64Sync?: (algorithm: DigestAlgorithm, data: Uint8Array) => string
  /**
   * Hashes the UTF-8 of `text` and returns the digest as unpadded base64url, synchronously and
   * without building the bytes in JavaScript (node:crypto); absent on Web Crypto.
   */
  readonly digestTextBase64UrlSync?: (algorithm: DigestAlgorithm, text: string) => string
  /** Imports a key for one algorithm. Malformed material throws `TypeError`. */
  importKey(input: KeyInput, options?: ImportKeyOptions): Promise<Key>
  /** Generates an asymmetric key pair, or for HMAC a 256-bit secret (returned as both halves). */
  generateKeyPair(algorithm: Algorithm, options?: GenerateKeyOptions): Promise<KeyPair>
  /**
   * HKDF-SHA256 (RFC 5869, extract then expand): `length` bytes of output keying material. An
   * empty `salt` means the RFC's default (a block of zeros).
   *
   * @throws `TypeError` for non-`Uint8Array` inputs or a non-integer `length`; `RangeError` when
   *   `length` is outside 1..8160 or `info` is longer than 1024 bytes.
   */
  hkdfSha256(
    ikm: Uint8Array,
    salt: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array>
  /**
   * AES-256-GCM encryption with a 96-bit IV and a 128-bit tag. Returns `ciphertext || tag`
   * (`plaintext.length + 16` bytes). Never reuse an IV with the same key.
   *
   * @throws `TypeError` for non-`Uint8Array` inputs; `RangeError` when `key` is not 32 bytes or
   *   `iv` not 12.
   */
  aesGcmEncrypt(
    key: Uint8Array,
    iv: Uint8Array,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Promise<Uint8Array>
  /**
   * Opens `ciphertext || tag` made by {@link CryptoBackend.aesGcmEncrypt}. Resolves `undefined`
   * (never rejects) when the data does not authenticate: wrong key, IV or `aad`, tampered or
   * truncated data (shorter than the 16-byte tag). No unauthenticated plaintext is released.
   *
   * @throws `TypeError` for non-`Uint8Array` inputs; `RangeError` when `key` is not 32 bytes or
   *   `iv` not 12 (caller bugs, not authentication failures).
   */
  aesGcmDecrypt(
    key: Uint8Array,
    iv: Uint8Array,
    sealed: Uint8Array,
    aad?: Uint8Array,
  ): Promise<Uint8Array | undefined>
}
