/**
 * Internals shared by the two crypto backends: the algorithm table, JWK validation, key ids,
 * RFC 7638 thumbprint input and the frozen {@link Key} object both backends hand out. Nothing
 * here touches key material beyond what it is given, and no error message ever quotes it.
 *
 * Not part of the public API.
 *
 * @internal
 * @module
 */
import { fromBase64Url, toBase64Url, utf8 } from '../encoding.ts'
import type {
  Algorithm,
  DigestAlgorithm,
  ImportKeyOptions,
  Key,
  KeyType,
  PublicJwk,
} from './types.ts'

/** JWK key types the backends understand. */
export type Kty = 'oct' | 'OKP' | 'EC' | 'RSA'

/** What one algorithm needs from a key and produces as a signature. */
export interface AlgorithmSpec {
  /** The JWK `kty` of keys for this algorithm. */
  readonly kty: Kty
  /** The JWK `crv`, for curve-based algorithms. */
  readonly crv?: 'Ed25519' | 'P-256'
  /** The JWA (RFC 7518) `alg` name published in a public JWK. */
  readonly jwa: string
  /** Other `alg` values accepted on import (for example RFC 9864's `Ed25519`). */
  readonly jwaAliases: readonly string[]
  /** The hash the algorithm uses (`null` for Ed25519, which hashes internally). */
  readonly hash: DigestAlgorithm | null
  /** The signature length in bytes when it is fixed (HMAC, Ed25519, ECDSA P1363). */
  readonly signatureLength?: number
}

/** The algorithm table. */
export const ALGORITHM_SPECS: Readonly<Record<Algorithm, AlgorithmSpec>> = {
  'hmac-sha256': { kty: 'oct', jwa: 'HS256', jwaAliases: [], hash: 'sha-256', signatureLength: 32 },
  'hmac-sha1': { kty: 'oct', jwa: 'HS1', jwaAliases: [], hash: 'sha-1', signatureLength: 20 },
  ed25519: {
    kty: 'OKP',
    crv: 'Ed25519',
    jwa: 'EdDSA',
    jwaAliases: ['Ed25519'],
    hash: null,
    signatureLength: 64,
  },
  'ecdsa-p256-sha256': {
    kty: 'EC',
    crv: 'P-256',
    jwa: 'ES256',
    jwaAliases: [],
    hash: 'sha-256',
    signatureLength: 64,
  },
  'rsa-pss-sha512': { kty: 'RSA', jwa: 'PS512', jwaAliases: [], hash: 'sha-512' },
  'rsa-v1_5-sha256': { kty: 'RSA', jwa: 'RS256', jwaAliases: [], hash: 'sha-256' },
}

/** The smallest RSA modulus either backend accepts, in bits. */
export const MIN_RSA_MODULUS_BITS = 2048

/** Bytes of a generated HMAC secret. */
export const GENERATED_SECRET_BYTES = 32

/** Secrets shorter than this need an explicit key id (their thumbprint could be brute-forced). */
const MIN_THUMBPRINT_SECRET_BYTES = 32

/** Public JWK members per key type, in the order a published JWK lists them. */
const PUBLIC_MEMBERS: Readonly<Record<Kty, readonly string[]>> = {
  oct: [],
  OKP: ['crv', 'x'],
  EC: ['crv', 'x', 'y'],
  RSA: ['n', 'e'],
}

/** Private JWK members per key type. */
const PRIVATE_MEMBERS: Readonly<Record<Kty, readonly string[]>> = {
  oct: ['k'],
  OKP: ['d'],
  EC: ['d'],
  RSA: ['d', 'p', 'q', 'dp', 'dq', 'qi'],
}

/** Members that must never appear in a published JWK. */
export const PRIVATE_JWK_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/** Fixed byte lengths of curve coordinates and scalars. */
const CURVE_MEMBER_BYTES: Readonly<Record<string, number>> = { Ed25519: 32, 'P-256': 32 }

/** Throws unless `value` is a supported algorithm name. */
export function assertAlgorithm(value: unknown): asserts value is Algorithm {
  if (typeof value !== 'string' || !Object.hasOwn(ALGORITHM_SPECS, value)) {
    throw new TypeError(`unsupported algorithm: ${describe(value)}`)
  }
}

/** Throws unless `value` is a supported digest name. */
export function assertDigestAlgorithm(value: unknown): asserts value is DigestAlgorithm {
  if (value !== 'sha-256' && value !== 'sha-512' && value !== 'sha-1') {
    throw new TypeError(`unsupported digest algorithm: ${describe(value)}`)
  }
}

/** Whether `algorithm` is an HMAC algorithm. */
export function isHmac(algorithm: Algorithm): boolean {
  return ALGORITHM_SPECS[algorithm].kty === 'oct'
}

/** A short, safe description of a non-secret value for an error message. */
function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)
  }
  return value === null ? 'null' : typeof value
}

/** Throws unless `data` is a `Uint8Array`. */
export function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`expected ${name} to be a Uint8Array, got ${describe(value)}`)
  }
}

/** Checks import options and returns them with defaults; never echoes a key id that is not a string. */
export function checkImportOptions(options: unknown): ImportKeyOptions {
  if (options === undefined) {
    return {}
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object')
  }
  const opts = options as ImportKeyOptions
  if (opts.algorithm !== undefined) {
    assertAlgorithm(opts.algorithm)
  }
  if (opts.keyId !== undefined) {
    assertKeyId(opts.keyId)
  }
  if (opts.extractable !== undefined && typeof opts.extractable !== 'boolean') {
    throw new TypeError('options.extractable must be a boolean')
  }
  return opts
}

/**
 * Throws unless `keyId` can be carried in an RFC 9421 `keyid` parameter (an RFC 8941 string:
 * printable ASCII) and is 1 to 256 characters long.
 */
function assertKeyId(keyId: unknown): asserts keyId is string {
  if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 256) {
    throw new TypeError('keyId must be a string of 1 to 256 printable ASCII characters')
  }
  for (let i = 0; i < keyId.length; i++) {
    const c = keyId.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) {
      throw new TypeError('keyId must be a string of 1 to 256 printable ASCII characters')
    }
  }
}

/** Returns `algorithm` or throws the standard "algorithm required" error for `what`. */
export function requireAlgorithm(algorithm: Algorithm | undefined, what: string): Algorithm {
  if (algorithm === undefined) {
    throw new TypeError(`options.algorithm is required to import ${what}`)
  }
  return algorithm
}

/** Rejects empty HMAC secrets and non-HMAC algorithms for raw bytes. */
export function checkSecret(bytes: Uint8Array, algorithm: Algorithm): void {
  if (!isHmac(algorithm)) {
    throw new TypeError(`raw bytes can only be imported as an HMAC secret, not for ${algorithm}`)
  }
  if (bytes.length === 0) {
    throw new TypeError('an HMAC secret must not be empty')
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Infers the algorithm of a JWK from `kty`, `crv` and `alg`. */
function inferJwkAlgorithm(jwk: JsonWebKey): Algorithm {
  const { kty, crv, alg } = jwk
  if (kty === 'oct' && (alg === undefined || alg === 'HS256')) {
    return 'hmac-sha256'
  }
  if (
    kty === 'OKP' &&
    crv === 'Ed25519' &&
    (alg === undefined || alg === 'EdDSA' || alg === 'Ed25519')
  ) {
    return 'ed25519'
  }
  if (kty === 'EC' && crv === 'P-256' && (alg === undefined || alg === 'ES256')) {
    return 'ecdsa-p256-sha256'
  }
  if (kty === 'RSA' && alg === 'PS512') {
    return 'rsa-pss-sha512'
  }
  if (kty === 'RSA' && alg === 'RS256') {
    return 'rsa-v1_5-sha256'
  }
  if (kty === 'RSA' && alg === undefined) {
    throw new TypeError('options.algorithm is required to import an RSA JWK without "alg"')
  }
  throw new TypeError(
    `cannot infer a supported algorithm from JWK kty ${describe(kty)}, crv ${describe(crv)}, alg ${describe(alg)}`,
  )
}

/** A JWK checked against its algorithm and reduced to the members a backend needs. */
export interface CheckedJwk {
  /** The algorithm (given, or inferred). */
  readonly algorithm: Algorithm
  /** `secret`, `private` or `public`. */
  readonly type: KeyType
  /** Only the key members (no `kid`, `alg`, `use`, `key_ops`, `ext`). */
  readonly jwk: JsonWebKey
  /** The input's `kid` (checked only if it ends up as the key id). */
  readonly kid: unknown
}

/**
 * Validates a JWK for `algorithm` (or infers the algorithm) and strips it down to its key members.
 * Every failure is a `TypeError` naming the member, never its value.
 */
export function checkJwk(input: unknown, algorithm: Algorithm | undefined): CheckedJwk {
  if (!isRecord(input)) {
    throw new TypeError('a JWK must be an object')
  }
  const source = input as JsonWebKey & Record<string, unknown>
  if (typeof source.kty !== 'string') {
    throw new TypeError('JWK "kty" must be a string')
  }
  const alg = algorithm ?? inferJwkAlgorithm(source)
  const spec = ALGORITHM_SPECS[alg]
  if (source.kty !== spec.kty) {
    throw new TypeError(`JWK kty ${describe(source.kty)} does not fit ${alg}`)
  }
  if (spec.crv !== undefined && source.crv !== spec.crv) {
    throw new TypeError(`JWK crv ${describe(source.crv)} does not fit ${alg}`)
  }
  if (
    source.alg !== undefined &&
    source.alg !== spec.jwa &&
    !spec.jwaAliases.includes(source.alg)
  ) {
    throw new TypeError(`JWK alg ${describe(source.alg)} does not fit ${alg}`)
  }
  if (source.use !== undefined && source.use !== 'sig') {
    throw new TypeError(`JWK use ${describe(source.use)} is not "sig"`)
  }
  if (
    source.key_ops !== undefined &&
    (!Array.isArray(source.key_ops) ||
      !source.key_ops.some((op) => op === 'sign' || op === 'verify'))
  ) {
    throw new TypeError('JWK key_ops allows neither "sign" nor "verify"')
  }
  if ('oth' in source) {
    throw new TypeError('RSA JWKs with "oth" (more than two primes) are not supported')
  }
  const kty = spec.kty
  const jwk: Record<string, string> = { kty }
  for (const name of PUBLIC_MEMBERS[kty]) {
    jwk[name] = name === 'crv' ? (spec.crv as string) : requireMember(source, name)
  }
  let type: KeyType
  if (kty === 'oct') {
    jwk.k = requireMember(source, 'k')
    if (jwk.k.length === 0) {
      throw new TypeError('an HMAC secret must not be empty')
    }
    type = 'secret'
  } else if (source.d !== undefined) {
    for (const name of PRIVATE_MEMBERS[kty]) {
      if (source[name] === undefined) {
        throw new TypeError(`JWK is missing the private member "${name}"`)
      }
      jwk[name] = requireMember(source, name)
    }
    type = 'private'
  } else {
    for (const name of PRIVATE_MEMBERS[kty]) {
      if (source[name] !== undefined) {
        throw new TypeError(`JWK has private member "${name}" but no "d"`)
      }
    }
    type = 'public'
  }
  if (spec.crv !== undefined) {
    const size = CURVE_MEMBER_BYTES[spec.crv]
    for (const name of ['x', 'y', 'd']) {
      const value = jwk[name]
      if (value !== undefined && fromBase64Url(value).length !== size) {
        throw new TypeError(`JWK member "${name}" has the wrong length for ${spec.crv}`)
      }
    }
  }
  return { algorithm: alg, type, jwk, kid: source.kid }
}

function requireMember(source: Record<string, unknown>, name: string): string {
  const value = source[name]
  if (typeof value !== 'string') {
    throw new TypeError(`JWK member "${name}" must be a base64url string`)
  }
  try {
    fromBase64Url(value)
  } catch {
    throw new TypeError(`JWK member "${name}" is not valid base64url`)
  }
  return value
}

/**
 * The public members of an asymmetric JWK, in publication order; throws if one is missing.
 * Anything else (private members, `kid`, `key_ops`, `ext`) is dropped.
 */
export function publicMembers(jwk: JsonWebKey, algorithm: Algorithm): JsonWebKey {
  const kty = ALGORITHM_SPECS[algorithm].kty
  const out: Record<string, string> = { kty }
  for (const name of PUBLIC_MEMBERS[kty]) {
    const value = (jwk as Record<string, unknown>)[name]
    if (typeof value !== 'string') {
      throw new TypeError(`public JWK member "${name}" is missing`)
    }
    out[name] = value
  }
  return out
}

/**
 * The RFC 7638 thumbprint input: the required members of `jwk` in lexicographic order, as
 * UTF-8 JSON with no whitespace.
 */
export function thumbprintInput(jwk: JsonWebKey): Uint8Array {
  if (!isRecord(jwk)) {
    throw new TypeError('a JWK must be an object')
  }
  const members: Record<string, readonly string[]> = {
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
    RSA: ['e', 'kty', 'n'],
    oct: ['k', 'kty'],
  }
  const kty = (jwk as Record<string, unknown>).kty
  const names = typeof kty === 'string' && Object.hasOwn(members, kty) ? members[kty] : undefined
  if (names === undefined) {
    throw new TypeError(`cannot compute a thumbprint for JWK kty ${describe(kty)}`)
  }
  const required: Record<string, string> = {}
  for (const name of names) {
    const value = (jwk as Record<string, unknown>)[name]
    if (typeof value !== 'string') {
      throw new TypeError(`JWK member "${name}" is required for a thumbprint`)
    }
    required[name] = value
  }
  return utf8(JSON.stringify(required))
}

/** A digest function, so callers choose the backend without an import cycle. */
export type DigestFunction = (algorithm: DigestAlgorithm, data: Uint8Array) => Promise<Uint8Array>

/** The RFC 7638 thumbprint of `jwk` (base64url SHA-256) computed with `digest`. */
export async function jwkThumbprintWith(jwk: JsonWebKey, digest: DigestFunction): Promise<string> {
  return toBase64Url(await digest('sha-256', thumbprintInput(jwk)))
}

/**
 * The key id of an imported key: `options.keyId`, else the JWK's `kid`, else the RFC 7638
 * thumbprint of the public JWK (or, for a secret of 32 bytes or more, of `{k, kty: "oct"}`).
 */
export async function deriveKeyId(
  explicit: string | undefined,
  kid: unknown,
  material: { publicJwk: JsonWebKey } | { secret: Uint8Array },
  digest: DigestFunction,
): Promise<string> {
  if (explicit !== undefined) {
    return explicit
  }
  if (kid !== undefined) {
    assertKeyId(kid)
    return kid
  }
  if ('publicJwk' in material) {
    return jwkThumbprintWith(material.publicJwk, digest)
  }
  if (material.secret.length < MIN_THUMBPRINT_SECRET_BYTES) {
    throw new TypeError('keyId is required for secrets shorter than 32 bytes')
  }
  return jwkThumbprintWith({ k: toBase64Url(material.secret), kty: 'oct' }, digest)
}

/** Copies `bytes` into a fresh `ArrayBuffer` when needed, for APIs that reject shared memory. */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? (bytes as Uint8Array<ArrayBuffer>)
    : new Uint8Array(bytes)
}

/** What a backend supplies to build a {@link Key}. */
export interface KeyParts {
  readonly algorithm: Algorithm
  readonly type: KeyType
  readonly keyId: string
  readonly backend: 'node' | 'web'
  readonly nativeKey: unknown
  /** Present on secret and private keys. */
  readonly sign?: (data: Uint8Array) => Promise<Uint8Array>
  /** Verifies; must return `false` instead of throwing for any bad signature. */
  readonly verify: (data: Uint8Array, signature: Uint8Array) => Promise<boolean>
  readonly signSync?: (data: Uint8Array) => Uint8Array
  readonly verifySync?: (data: Uint8Array, signature: Uint8Array) => boolean
  /** The public key members (no `kid`/`alg`/`use`), for asymmetric keys. */
  readonly publicJwk?: JsonWebKey
}

/**
 * Builds the frozen {@link Key} both backends return. Argument checks live here so the two
 * backends behave the same: `data` must be a `Uint8Array` (else `TypeError`); a signature that
 * is not a `Uint8Array` simply fails to verify.
 */
export function createKey(parts: KeyParts): Key {
  const { algorithm, type, keyId, nativeKey } = parts
  const spec = ALGORITHM_SPECS[algorithm]
  const published =
    parts.publicJwk === undefined
      ? undefined
      : Object.freeze<PublicJwk>({ ...parts.publicJwk, kid: keyId, alg: spec.jwa, use: 'sig' })
  const rawSign = parts.sign
  const rawSignSync = parts.signSync
  const rawVerify = parts.verify
  const rawVerifySync = parts.verifySync
  const key: Key = {
    algorithm,
    type,
    keyId,
    backend: parts.backend,
    nativeKey,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      assertBytes(data, 'data')
      if (rawSign === undefined) {
        throw new TypeError('a public key cannot sign')
      }
      return rawSign(data)
    },
    async verify(data: Uint8Array, signature: Uint8Array): Promise<boolean> {
      assertBytes(data, 'data')
      if (!(signature instanceof Uint8Array)) {
        return false
      }
      return rawVerify(data, signature)
    },
    ...(rawSignSync === undefined
      ? {}
      : {
          signSync(data: Uint8Array): Uint8Array {
            assertBytes(data, 'data')
            return rawSignSync(data)
          },
        }),
    ...(rawVerifySync === undefined
      ? {}
      : {
          verifySync(data: Uint8Array, signature: Uint8Array): boolean {
            assertBytes(data, 'data')
            if (!(signature instanceof Uint8Array)) {
              return false
            }
            return rawVerifySync(data, signature)
          },
        }),
    publicJwk(): PublicJwk | undefined {
      return published === undefined ? undefined : { ...published }
    },
  }
  return Object.freeze(key)
}

/** The signature length `verify` accepts: fixed per algorithm, or the RSA modulus size. */
export function expectedSignatureLength(algorithm: Algorithm, modulusBits?: number): number {
  const fixed = ALGORITHM_SPECS[algorithm].signatureLength
  if (fixed !== undefined) {
    return fixed
  }
  return Math.ceil((modulusBits ?? 0) / 8)
}

const PAIRWISE_PROBE = utf8('countersign pairwise consistency check')

/**
 * Checks that an imported private key matches its public half: curve points given in a private
 * JWK must equal the ones derived from `d`, and a probe signature must verify. Neither backend
 * checks this on its own for every key type (node:crypto keeps a mismatched EC or RSA public
 * part, and ignores a mismatched Ed25519 `x`), and a mismatch would otherwise surface later as
 * signatures that never verify, or a published JWK that is not the signing key's.
 */
export async function checkPairwise(key: Key, inputJwk?: JsonWebKey): Promise<void> {
  const fail = () =>
    new TypeError(`invalid ${key.algorithm} key: the private and public halves do not match`)
  if (inputJwk !== undefined && (inputJwk.kty === 'OKP' || inputJwk.kty === 'EC')) {
    const derived = key.publicJwk()
    if (derived === undefined || derived.x !== inputJwk.x || derived.y !== inputJwk.y) {
      throw fail()
    }
  }
  let ok = false
  try {
    ok = await key.verify(PAIRWISE_PROBE, await key.sign(PAIRWISE_PROBE))
  } catch {
    ok = false
  }
  if (!ok) {
    throw fail()
  }
}
