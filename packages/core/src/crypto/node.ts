/// <reference types="node" />
/**
 * The `node:crypto` backend, used by the `node` build (see `backend-node.ts`). Each `KeyObject`
 * is created once at import and kept on the {@link Key}. `signSync` / `verifySync` run on the
 * calling thread (`createHmac`, `crypto.sign`, `crypto.verify`). The async `sign` / `verify` of
 * an asymmetric key hand the work to libuv's thread pool (the callback forms of `crypto.sign`
 * and `crypto.verify`), so an event loop that awaits them stays free; HMAC's async methods wrap
 * the synchronous ones (a MAC costs less than the hand-off). A private key keeps its derived
 * public `KeyObject` for verifying.
 *
 * This is the only module in `@countersign/core` that imports `node:` modules. `Buffer` appears
 * only where node:crypto's types demand it (DER key input); outputs are copied into plain
 * `Uint8Array`s so no pooled `Buffer` memory leaks out.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import * as nodeCrypto from 'node:crypto'
import { fromBase64Url } from '../encoding.ts'
import { normalizePem } from './pem.ts'
import {
  ALGORITHM_SPECS,
  assertAlgorithm,
  assertBytes,
  assertDigestAlgorithm,
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

type KeyObject = nodeCrypto.KeyObject

const NODE_DIGESTS: Readonly<Record<DigestAlgorithm, string>> = {
  'sha-256': 'sha256',
  'sha-512': 'sha512',
  'sha-1': 'sha1',
}

/** `crypto.hash` (one-shot, Node 21.7+/20.12+) when present, else `createHash`. */
const oneShotHash: (algorithm: string, data: Uint8Array) => Uint8Array =
  typeof nodeCrypto.hash === 'function'
    ? (algorithm, data) => nodeCrypto.hash(algorithm, data, 'buffer')
    : (algorithm, data) => nodeCrypto.createHash(algorithm).update(data).digest()

/** The digest of bytes as padded base64. */
const oneShotHashBase64: (algorithm: string, data: Uint8Array) => string =
  typeof nodeCrypto.hash === 'function'
    ? (algorithm, data) => nodeCrypto.hash(algorithm, data, 'base64')
    : (algorithm, data) => nodeCrypto.createHash(algorithm).update(data).digest('base64')

/** The digest of a string's UTF-8 as unpadded base64url. */
const oneShotHashText: (algorithm: string, text: string) => string =
  typeof nodeCrypto.hash === 'function'
    ? (algorithm, text) => nodeCrypto.hash(algorithm, text, 'base64url')
    : (algorithm, text) => nodeCrypto.createHash(algorithm).update(text, 'utf8').digest('base64url')

/** Copies a node:crypto output into a plain `Uint8Array` that owns its memory. */
function own(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}

/** Wraps DER bytes for node:crypto's key input types, without copying. */
function der(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function nodeDigestSync(algorithm: DigestAlgorithm, data: Uint8Array): Uint8Array {
  return own(oneShotHash(NODE_DIGESTS[algorithm], data))
}

async function nodeDigest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  return nodeDigestSync(algorithm, data)
}

/** Runs a node:crypto key constructor, turning its error into a `TypeError` with no key bytes. */
function keyOp<T>(algorithm: Algorithm, op: () => T): T {
  try {
    return op()
  } catch (error) {
    const code =
      typeof error === 'object' &&
      error !== null &&
      'code' in error &&
      typeof error.code === 'string'
        ? error.code
        : 'ERR_INVALID_KEY'
    throw new TypeError(`invalid ${algorithm} key: node:crypto rejected it (${code})`)
  }
}

/** Checks that a `KeyObject` is of the kind `algorithm` needs; returns the RSA modulus size. */
function checkKeyObject(algorithm: Algorithm, key: KeyObject): number | undefined {
  const kind = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails ?? {}
  const kty = ALGORITHM_SPECS[algorithm].kty
  const ok =
    (kty === 'OKP' && kind === 'ed25519') ||
    (kty === 'EC' && kind === 'ec' && details.namedCurve === 'prime256v1') ||
    (kty === 'RSA' && kind === 'rsa')
  if (!ok) {
    throw new TypeError(`the key does not fit ${algorithm}`)
  }
  if (kty !== 'RSA') {
    return undefined
  }
  const bits = details.modulusLength ?? 0
  if (bits < MIN_RSA_MODULUS_BITS) {
    throw new TypeError(`RSA keys must have at least ${MIN_RSA_MODULUS_BITS} bits`)
  }
  return bits
}

type SignOptions = nodeCrypto.SignKeyObjectInput & nodeCrypto.SigningOptions

/** The digest name and key options node:crypto needs for one algorithm and key. */
function signingArgs(
  algorithm: Algorithm,
  key: KeyObject,
): [string | null, KeyObject | SignOptions] {
  switch (algorithm) {
    case 'ed25519':
      return [null, key]
    case 'ecdsa-p256-sha256':
      return ['sha256', { key, dsaEncoding: 'ieee-p1363' }]
    case 'rsa-pss-sha512':
      return [
        'sha512',
        { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
      ]
    case 'rsa-v1_5-sha256':
      return ['sha256', { key, padding: nodeCrypto.constants.RSA_PKCS1_PADDING }]
    default:
      throw new TypeError(`${algorithm} is not an asymmetric algorithm`)
  }
}

function asymmetricKey(
  algorithm: Algorithm,
  keyId: string,
  privateKey: KeyObject | undefined,
  publicKey: KeyObject,
  publicJwk: JsonWebKey,
): Key {
  const length = expectedSignatureLength(algorithm, checkKeyObject(algorithm, publicKey))
  const [hashName, verifyKey] = signingArgs(algorithm, publicKey)
  const verifySync = (data: Uint8Array, signature: Uint8Array): boolean => {
    if (signature.length !== length) {
      return false
    }
    try {
      return nodeCrypto.verify(hashName, data, verifyKey, signature)
    } catch {
      return false
    }
  }
  // The asynchronous forms run on libuv's thread pool (node:crypto's callback API), so a server
  // that awaits them keeps its event loop free; the Sync forms run on the calling thread.
  const verify = (data: Uint8Array, signature: Uint8Array): Promise<boolean> => {
    if (signature.length !== length) {
      return Promise.resolve(false)
    }
    return new Promise((resolve) => {
      try {
        nodeCrypto.verify(hashName, data, verifyKey, signature, (error, ok) =>
          resolve(error === null && ok),
        )
      } catch {
        resolve(false)
      }
    })
  }
  let signing: Pick<Key, 'sign' | 'signSync'> | undefined
  if (privateKey !== undefined) {
    const [, signKey] = signingArgs(algorithm, privateKey)
    signing = {
      signSync: (data) => own(nodeCrypto.sign(hashName, data, signKey)),
      sign: (data) =>
        new Promise((resolve, reject) => {
          nodeCrypto.sign(hashName, data, signKey, (error, signature) => {
            if (error === null) {
              resolve(own(signature))
            } else {
              reject(new TypeError(`${algorithm} signing failed in node:crypto`))
            }
          })
        }),
    }
  }
  return createKey({
    algorithm,
    type: privateKey === undefined ? 'public' : 'private',
    keyId,
    backend: 'node',
    nativeKey: privateKey ?? publicKey,
    publicJwk,
    verify,
    verifySync,
    ...signing,
  })
}

function exportPublicJwk(algorithm: Algorithm, publicKey: KeyObject): JsonWebKey {
  return publicMembers(
    keyOp(algorithm, () => publicKey.export({ format: 'jwk' })) as JsonWebKey,
    algorithm,
  )
}

async function fromPublicKeyObject(
  algorithm: Algorithm,
  publicKey: KeyObject,
  keyId: string | undefined,
  kid: unknown,
): Promise<Key> {
  checkKeyObject(algorithm, publicKey)
  const publicJwk = exportPublicJwk(algorithm, publicKey)
  const id = await deriveKeyId(keyId, kid, { publicJwk }, nodeDigest)
  return asymmetricKey(algorithm, id, undefined, publicKey, publicJwk)
}

async function fromPrivateKeyObject(
  algorithm: Algorithm,
  privateKey: KeyObject,
  keyId: string | undefined,
  kid: unknown,
  inputJwk?: JsonWebKey,
): Promise<Key> {
  checkKeyObject(algorithm, privateKey)
  const publicKey = keyOp(algorithm, () => nodeCrypto.createPublicKey(privateKey))
  const publicJwk = exportPublicJwk(algorithm, publicKey)
  const id = await deriveKeyId(keyId, kid, { publicJwk }, nodeDigest)
  const key = asymmetricKey(algorithm, id, privateKey, publicKey, publicJwk)
  await checkPairwise(key, inputJwk)
  return key
}

async function importSecret(
  bytes: Uint8Array,
  algorithm: Algorithm,
  keyId: string | undefined,
  kid: unknown,
): Promise<Key> {
  checkSecret(bytes, algorithm)
  const id = await deriveKeyId(keyId, kid, { secret: bytes }, nodeDigest)
  const keyObject = keyOp(algorithm, () => nodeCrypto.createSecretKey(bytes))
  const hashName = NODE_DIGESTS[ALGORITHM_SPECS[algorithm].hash ?? 'sha-256']
  const length = expectedSignatureLength(algorithm)
  const mac = (data: Uint8Array) => nodeCrypto.createHmac(hashName, keyObject).update(data).digest()
  const signSync = (data: Uint8Array): Uint8Array => own(mac(data))
  const verifySync = (data: Uint8Array, signature: Uint8Array): boolean =>
    signature.length === length && nodeCrypto.timingSafeEqual(mac(data), signature)
  return createKey({
    algorithm,
    type: 'secret',
    keyId: id,
    backend: 'node',
    nativeKey: keyObject,
    sign: async (data) => signSync(data),
    verify: async (data, signature) => verifySync(data, signature),
    signSync,
    verifySync,
  })
}

async function nodeImportKey(input: KeyInput, options?: ImportKeyOptions): Promise<Key> {
  const opts = checkImportOptions(options)
  if (input instanceof Uint8Array) {
    const algorithm = requireAlgorithm(opts.algorithm, 'a raw secret')
    return importSecret(input, algorithm, opts.keyId, undefined)
  }
  if (typeof input === 'string') {
    const algorithm = requireAlgorithm(opts.algorithm, 'a PEM key')
    const pem = normalizePem(input, algorithm)
    return pem.format === 'spki'
      ? fromPublicKeyObject(
          algorithm,
          keyOp(algorithm, () =>
            nodeCrypto.createPublicKey({ key: der(pem.der), format: 'der', type: 'spki' }),
          ),
          opts.keyId,
          undefined,
        )
      : fromPrivateKeyObject(
          algorithm,
          keyOp(algorithm, () =>
            nodeCrypto.createPrivateKey({ key: der(pem.der), format: 'der', type: 'pkcs8' }),
          ),
          opts.keyId,
          undefined,
        )
  }
  const { algorithm, type, jwk, kid } = checkJwk(input, opts.algorithm)
  if (type === 'secret') {
    return importSecret(fromBase64Url(jwk.k as string), algorithm, opts.keyId, kid)
  }
  const jwkInput = { key: jwk as nodeCrypto.JsonWebKey, format: 'jwk' as const }
  return type === 'public'
    ? fromPublicKeyObject(
        algorithm,
        keyOp(algorithm, () => nodeCrypto.createPublicKey(jwkInput)),
        opts.keyId,
        kid,
      )
    : fromPrivateKeyObject(
        algorithm,
        keyOp(algorithm, () => nodeCrypto.createPrivateKey(jwkInput)),
        opts.keyId,
        kid,
        jwk,
      )
}

function generateAsymmetric(
  algorithm: Algorithm,
): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) => {
      if (error) {
        reject(error)
      } else {
        resolve({ publicKey, privateKey })
      }
    }
    const kty = ALGORITHM_SPECS[algorithm].kty
    if (kty === 'OKP') {
      nodeCrypto.generateKeyPair('ed25519', undefined, done)
    } else if (kty === 'EC') {
      nodeCrypto.generateKeyPair('ec', { namedCurve: 'P-256' }, done)
    } else {
      nodeCrypto.generateKeyPair(
        'rsa',
        { modulusLength: MIN_RSA_MODULUS_BITS, publicExponent: 0x10001 },
        done,
      )
    }
  })
}

async function nodeGenerateKeyPair(
  algorithm: Algorithm,
  options?: GenerateKeyOptions,
): Promise<KeyPair> {
  assertAlgorithm(algorithm)
  const opts = checkImportOptions({ keyId: options?.keyId, extractable: options?.extractable })
  if (isHmac(algorithm)) {
    const secret = new Uint8Array(GENERATED_SECRET_BYTES)
    nodeCrypto.getRandomValues(secret)
    const key = await importSecret(secret, algorithm, opts.keyId, undefined)
    secret.fill(0)
    return { privateKey: key, publicKey: key }
  }
  const pair = await generateAsymmetric(algorithm)
  const publicJwk = exportPublicJwk(algorithm, pair.publicKey)
  const keyId = await deriveKeyId(opts.keyId, undefined, { publicJwk }, nodeDigest)
  return {
    privateKey: asymmetricKey(algorithm, keyId, pair.privateKey, pair.publicKey, publicJwk),
    publicKey: asymmetricKey(algorithm, keyId, undefined, pair.publicKey, publicJwk),
  }
}

/**
 * Wraps raw key bytes in a `KeyObject` (a copy). node:crypto's own conversion of raw bytes passed
 * to `hkdfSync` / `createCipheriv` costs ~15 µs per call on Node 24; `createSecretKey` ~1 µs.
 */
function secretKey(bytes: Uint8Array): KeyObject {
  return nodeCrypto.createSecretKey(bytes)
}

/** HKDF-SHA256 with `hkdfSync` (one synchronous OpenSSL call, no thread-pool hop). */
function nodeHkdfSha256Sync(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  checkHkdfArgs(ikm, salt, info, length)
  // hkdfSync returns a fresh ArrayBuffer that nothing else references.
  return new Uint8Array(nodeCrypto.hkdfSync('sha256', secretKey(ikm), salt, info, length))
}

function nodeAesGcmEncryptSync(
  key: Uint8Array,
  iv: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array | undefined,
): Uint8Array {
  checkAesGcmArgs(key, iv, plaintext, aad, 'plaintext')
  const cipher = nodeCrypto.createCipheriv('aes-256-gcm', secretKey(key), iv, {
    authTagLength: AES_GCM_TAG_BYTES,
  })
  if (aad !== undefined) {
    cipher.setAAD(aad)
  }
  const out = new Uint8Array(plaintext.byteLength + AES_GCM_TAG_BYTES)
  const body = cipher.update(plaintext)
  out.set(body, 0)
  // GCM is a stream mode: final() emits nothing, but must run before getAuthTag().
  const rest = cipher.final()
  out.set(rest, body.byteLength)
  const tag = cipher.getAuthTag()
  if (
    tag.byteLength !== AES_GCM_TAG_BYTES ||
    body.byteLength + rest.byteLength !== plaintext.byteLength
  ) {
    throw new Error('node:crypto returned an unexpected AES-GCM output length')
  }
  out.set(tag, plaintext.byteLength)
  return out
}

function nodeAesGcmDecryptSync(
  key: Uint8Array,
  iv: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array | undefined,
): Uint8Array | undefined {
  checkAesGcmArgs(key, iv, sealed, aad, 'sealed')
  const length = sealed.byteLength - AES_GCM_TAG_BYTES
  if (length < 0) {
    return undefined
  }
  const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', secretKey(key), iv, {
    authTagLength: AES_GCM_TAG_BYTES,
  })
  // authTagLength pins the tag to 16 bytes: a shorter tag cannot be passed off as valid.
  decipher.setAuthTag(sealed.subarray(length))
  if (aad !== undefined) {
    decipher.setAAD(aad)
  }
  const out = new Uint8Array(length)
  const body = decipher.update(sealed.subarray(0, length))
  out.set(body, 0)
  try {
    decipher.final()
  } catch {
    // The tag does not verify: wipe the unauthenticated plaintext before dropping it.
    body.fill(0)
    out.fill(0)
    return undefined
  }
  body.fill(0)
  return out
}

/**
 * The `node:crypto` backend: cached `KeyObject`s, synchronous `signSync` / `verifySync` on every
 * key, `crypto.hash` for digests. Used by the `node` build; importable directly for tests.
 */
export const nodeBackend: CryptoBackend = Object.freeze({
  name: 'node' as const,
  async digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    assertDigestAlgorithm(algorithm)
    assertBytes(data, 'data')
    return nodeDigestSync(algorithm, data)
  },
  digestSync(algorithm: DigestAlgorithm, data: Uint8Array): Uint8Array {
    assertDigestAlgorithm(algorithm)
    assertBytes(data, 'data')
    return nodeDigestSync(algorithm, data)
  },
  digestBase64Sync(algorithm: DigestAlgorithm, data: Uint8Array): string {
    assertDigestAlgorithm(algorithm)
    assertBytes(data, 'data')
    // node:crypto encodes the digest itself: no digest bytes are copied out to JavaScript.
    return oneShotHashBase64(NODE_DIGESTS[algorithm], data)
  },
  digestTextBase64UrlSync(algorithm: DigestAlgorithm, text: string): string {
    assertDigestAlgorithm(algorithm)
    if (typeof text !== 'string') {
      throw new TypeError(`expected text to be a string, got ${typeof text}`)
    }
    // node:crypto encodes the string as UTF-8 itself (lone surrogates become U+FFFD, as with
    // TextEncoder) and returns the encoded digest: no byte arrays are built here.
    return oneShotHashText(NODE_DIGESTS[algorithm], text)
  },
  importKey: nodeImportKey,
  generateKeyPair: nodeGenerateKeyPair,
  async hkdfSha256(
    ikm: Uint8Array,
    salt: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    return nodeHkdfSha256Sync(ikm, salt, info, length)
  },
  async aesGcmEncrypt(
    key: Uint8Array,
    iv: Uint8Array,
    plaintext: Uint8Array,
    aad?: Uint8Array,
  ): Promise<Uint8Array> {
    return nodeAesGcmEncryptSync(key, iv, plaintext, aad)
  },
  async aesGcmDecrypt(
    key: Uint8Array,
    iv: Uint8Array,
    sealed: Uint8Array,
    aad?: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    return nodeAesGcmDecryptSync(key, iv, sealed, aad)
  },
})
