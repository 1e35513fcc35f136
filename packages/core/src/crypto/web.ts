/**
 * The Web Crypto backend: `crypto.subtle` only, so it runs in browsers, Node 22+, Deno, Bun and
 * Cloudflare Workers.
 *
 * Private keys are imported extractable just long enough to export their JWK and derive the
 * public half (so a private key can also verify and publish its JWK), then imported again as a
 * non-extractable `CryptoKey` unless `options.extractable` is set. JavaScript cannot wipe the
 * transient copy; it is dropped at once and left to the garbage collector.
 *
 * @module
 */
import { fromBase64Url } from '../encoding.ts'
import { normalizePem } from './pem.ts'
import {
  ALGORITHM_SPECS,
  assertAlgorithm,
  assertBytes,
  assertDigestAlgorithm,
  bufferSource,
  checkImportOptions,
  checkJwk,
  checkPairwise,
  checkSecret,
  createKey,
  deriveKeyId,
  expectedSignatureLength,
  GENERATED_SECRET_BYTES,
  isHmac,
  MIN_RSA_MODULUS_BITS,
  publicMembers,
  requireAlgorithm,
} from './shared.ts'
import { AES_GCM_TAG_BYTES, checkAesGcmArgs, checkHkdfArgs } from './symmetric.ts'
import type {
  Algorithm,
  CryptoBackend,
  DigestAlgorithm,
  GenerateKeyOptions,
  ImportKeyOptions,
  Key,
  KeyInput,
  KeyPair,
} from './types.ts'

const DIGEST_NAMES: Readonly<Record<DigestAlgorithm, string>> = {
  'sha-256': 'SHA-256',
  'sha-512': 'SHA-512',
  'sha-1': 'SHA-1',
}

/** Parameters for `importKey` / `generateKey`. */
const KEY_PARAMS: Readonly<
  Record<Algorithm, RsaHashedImportParams | EcKeyImportParams | HmacImportParams | { name: string }>
> = {
  'hmac-sha256': { name: 'HMAC', hash: 'SHA-256' },
  'hmac-sha1': { name: 'HMAC', hash: 'SHA-1' },
  ed25519: { name: 'Ed25519' },
  'ecdsa-p256-sha256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-pss-sha512': { name: 'RSA-PSS', hash: 'SHA-512' },
  'rsa-v1_5-sha256': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
}

/** Parameters for `sign` / `verify`. */
const SIGN_PARAMS: Readonly<Record<Algorithm, { name: string } | EcdsaParams | RsaPssParams>> = {
  'hmac-sha256': { name: 'HMAC' },
  'hmac-sha1': { name: 'HMAC' },
  ed25519: { name: 'Ed25519' },
  'ecdsa-p256-sha256': { name: 'ECDSA', hash: 'SHA-256' },
  'rsa-pss-sha512': { name: 'RSA-PSS', saltLength: 64 },
  'rsa-v1_5-sha256': { name: 'RSASSA-PKCS1-v1_5' },
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (s === undefined) {
    throw new TypeError('Web Crypto (crypto.subtle) is not available in this runtime')
  }
  return s
}

function webDigest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  return subtle()
    .digest(DIGEST_NAMES[algorithm], bufferSource(data))
    .then((out) => new Uint8Array(out))
}

/** Runs a Web Crypto key operation, turning its rejection into a `TypeError` with no key bytes. */
async function keyOp<T>(algorithm: Algorithm, op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error'
    throw new TypeError(`invalid ${algorithm} key: Web Crypto rejected it (${name})`)
  }
}

function checkRsaSize(algorithm: Algorithm, key: CryptoKey): number | undefined {
  if (ALGORITHM_SPECS[algorithm].kty !== 'RSA') {
    return undefined
  }
  const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength
  if (!(bits >= MIN_RSA_MODULUS_BITS)) {
    throw new TypeError(`RSA keys must have at least ${MIN_RSA_MODULUS_BITS} bits`)
  }
  return bits
}

interface WebKeyParts {
  algorithm: Algorithm
  keyId: string
  signKey: CryptoKey | undefined
  verifyKey: CryptoKey
  publicJwk: JsonWebKey
}

function asymmetricKey(parts: WebKeyParts): Key {
  const { algorithm, signKey, verifyKey } = parts
  const params = SIGN_PARAMS[algorithm]
  const length = expectedSignatureLength(algorithm, checkRsaSize(algorithm, verifyKey))
  return createKey({
    algorithm,
    type: signKey === undefined ? 'public' : 'private',
    keyId: parts.keyId,
    backend: 'web',
    nativeKey: signKey ?? verifyKey,
    publicJwk: parts.publicJwk,
    ...(signKey === undefined
      ? {}
      : {
          sign: async (data: Uint8Array) =>
            new Uint8Array(await subtle().sign(params, signKey, bufferSource(data))),
        }),
    verify: async (data, signature) => {
      if (signature.length !== length) {
        return false
      }
      try {
        return await subtle().verify(params, verifyKey, bufferSource(signature), bufferSource(data))
      } catch {
        return false
      }
    },
  })
}

async function importSecret(
  bytes: Uint8Array,
  algorithm: Algorithm,
  keyId: string | undefined,
  kid: unknown,
  extractable: boolean,
): Promise<Key> {
  checkSecret(bytes, algorithm)
  const id = await deriveKeyId(keyId, kid, { secret: bytes }, webDigest)
  const cryptoKey = await keyOp(algorithm, () =>
    subtle().importKey('raw', bufferSource(bytes), KEY_PARAMS[algorithm], extractable, [
      'sign',
      'verify',
    ]),
  )
  const params = SIGN_PARAMS[algorithm]
  const length = expectedSignatureLength(algorithm)
  return createKey({
    algorithm,
    type: 'secret',
    keyId: id,
    backend: 'web',
    nativeKey: cryptoKey,
    sign: async (data) =>
      new Uint8Array(await subtle().sign(params, cryptoKey, bufferSource(data))),
    verify: async (data, signature) => {
      if (signature.length !== length) {
        return false
      }
      try {
        return await subtle().verify(params, cryptoKey, bufferSource(signature), bufferSource(data))
      } catch {
        return false
      }
    },
  })
}

/** Imports a public key, exporting its JWK for `publicJwk()` and the thumbprint. */
async function importPublic(
  algorithm: Algorithm,
  format: 'spki' | 'jwk',
  data: Uint8Array | JsonWebKey,
  keyId: string | undefined,
  kid: unknown,
): Promise<Key> {
  const verifyKey = await keyOp(algorithm, () =>
    format === 'jwk'
      ? subtle().importKey('jwk', data as JsonWebKey, KEY_PARAMS[algorithm], true, ['verify'])
      : subtle().importKey('spki', bufferSource(data as Uint8Array), KEY_PARAMS[algorithm], true, [
          'verify',
        ]),
  )
  const publicJwk = publicMembers(await subtle().exportKey('jwk', verifyKey), algorithm)
  const id = await deriveKeyId(keyId, kid, { publicJwk }, webDigest)
  return asymmetricKey({ algorithm, keyId: id, signKey: undefined, verifyKey, publicJwk })
}

/** Imports a private key and derives its public half (see the module notes). */
async function importPrivate(
  algorithm: Algorithm,
  format: 'pkcs8' | 'jwk',
  data: Uint8Array | JsonWebKey,
  keyId: string | undefined,
  kid: unknown,
  extractable: boolean,
): Promise<Key> {
  const load = (exportable: boolean) =>
    keyOp(algorithm, () =>
      format === 'jwk'
        ? subtle().importKey('jwk', data as JsonWebKey, KEY_PARAMS[algorithm], exportable, ['sign'])
        : subtle().importKey(
            'pkcs8',
            bufferSource(data as Uint8Array),
            KEY_PARAMS[algorithm],
            exportable,
            ['sign'],
          ),
    )
  const transient = await load(true)
  const publicJwk = publicMembers(await subtle().exportKey('jwk', transient), algorithm)
  const signKey = extractable ? transient : await load(false)
  const verifyKey = await keyOp(algorithm, () =>
    subtle().importKey('jwk', publicJwk, KEY_PARAMS[algorithm], true, ['verify']),
  )
  const id = await deriveKeyId(keyId, kid, { publicJwk }, webDigest)
  const key = asymmetricKey({ algorithm, keyId: id, signKey, verifyKey, publicJwk })
  await checkPairwise(key, format === 'jwk' ? (data as JsonWebKey) : undefined)
  return key
}

async function webImportKey(input: KeyInput, options?: ImportKeyOptions): Promise<Key> {
  const opts = checkImportOptions(options)
  const extractable = opts.extractable ?? false
  if (input instanceof Uint8Array) {
    const algorithm = requireAlgorithm(opts.algorithm, 'a raw secret')
    return importSecret(input, algorithm, opts.keyId, undefined, extractable)
  }
  if (typeof input === 'string') {
    const algorithm = requireAlgorithm(opts.algorithm, 'a PEM key')
    const pem = normalizePem(input, algorithm)
    return pem.format === 'spki'
      ? importPublic(algorithm, 'spki', pem.der, opts.keyId, undefined)
      : importPrivate(algorithm, 'pkcs8', pem.der, opts.keyId, undefined, extractable)
  }
  const checked = checkJwk(input, opts.algorithm)
  const { algorithm, jwk, kid } = checked
  if (checked.type === 'secret') {
    return importSecret(fromBase64Url(jwk.k as string), algorithm, opts.keyId, kid, extractable)
  }
  return checked.type === 'public'
    ? importPublic(algorithm, 'jwk', jwk, opts.keyId, kid)
    : importPrivate(algorithm, 'jwk', jwk, opts.keyId, kid, extractable)
}

async function webGenerateKeyPair(
  algorithm: Algorithm,
  options?: GenerateKeyOptions,
): Promise<KeyPair> {
  assertAlgorithm(algorithm)
  const opts = checkImportOptions({ keyId: options?.keyId, extractable: options?.extractable })
  const extractable = opts.extractable ?? false
  if (isHmac(algorithm)) {
    const secret = globalThis.crypto.getRandomValues(new Uint8Array(GENERATED_SECRET_BYTES))
    const key = await importSecret(secret, algorithm, opts.keyId, undefined, extractable)
    secret.fill(0)
    return { privateKey: key, publicKey: key }
  }
  const params =
    ALGORITHM_SPECS[algorithm].kty === 'RSA'
      ? {
          ...(KEY_PARAMS[algorithm] as RsaHashedImportParams),
          modulusLength: MIN_RSA_MODULUS_BITS,
          publicExponent: Uint8Array.of(1, 0, 1),
        }
      : KEY_PARAMS[algorithm]
  const pair = (await subtle().generateKey(params, extractable, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const publicJwk = publicMembers(await subtle().exportKey('jwk', pair.publicKey), algorithm)
  const keyId = await deriveKeyId(opts.keyId, undefined, { publicJwk }, webDigest)
  return {
    privateKey: asymmetricKey({
      algorithm,
      keyId,
      signKey: pair.privateKey,
      verifyKey: pair.publicKey,
      publicJwk,
    }),
    publicKey: asymmetricKey({
      algorithm,
      keyId,
      signKey: undefined,
      verifyKey: pair.publicKey,
      publicJwk,
    }),
  }
}

async function webHkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  checkHkdfArgs(ikm, salt, info, length)
  const s = subtle()
  const key = await s.importKey('raw', bufferSource(ikm), 'HKDF', false, ['deriveBits'])
  const bits = await s.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: bufferSource(salt), info: bufferSource(info) },
    key,
    length * 8,
  )
  return new Uint8Array(bits)
}

function importAesKey(key: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return subtle().importKey('raw', bufferSource(key), { name: 'AES-GCM' }, false, [usage])
}

function gcmParams(iv: Uint8Array, aad: Uint8Array | undefined): AesGcmParams {
  return aad === undefined
    ? { name: 'AES-GCM', iv: bufferSource(iv), tagLength: AES_GCM_TAG_BYTES * 8 }
    : {
        name: 'AES-GCM',
        iv: bufferSource(iv),
        additionalData: bufferSource(aad),
        tagLength: AES_GCM_TAG_BYTES * 8,
      }
}

async function webAesGcmEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array> {
  checkAesGcmArgs(key, iv, plaintext, aad, 'plaintext')
  const cryptoKey = await importAesKey(key, 'encrypt')
  return new Uint8Array(
    await subtle().encrypt(gcmParams(iv, aad), cryptoKey, bufferSource(plaintext)),
  )
}

async function webAesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Promise<Uint8Array | undefined> {
  checkAesGcmArgs(key, iv, sealed, aad, 'sealed')
  if (sealed.byteLength < AES_GCM_TAG_BYTES) {
    return undefined
  }
  const cryptoKey = await importAesKey(key, 'decrypt')
  try {
    return new Uint8Array(
      await subtle().decrypt(gcmParams(iv, aad), cryptoKey, bufferSource(sealed)),
    )
  } catch {
    // OperationError: the tag does not verify. Web Crypto releases no plaintext.
    return undefined
  }
}

/** The Web Crypto backend (`crypto.subtle`), used by the default (non-Node) build. */
export const webBackend: CryptoBackend = Object.freeze({
  name: 'web' as const,
  async digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    assertDigestAlgorithm(algorithm)
    assertBytes(data, 'data')
    return webDigest(algorithm, data)
  },
  importKey: webImportKey,
  generateKeyPair: webGenerateKeyPair,
  hkdfSha256: webHkdfSha256,
  aesGcmEncrypt: webAesGcmEncrypt,
  aesGcmDecrypt: webAesGcmDecrypt,
})
