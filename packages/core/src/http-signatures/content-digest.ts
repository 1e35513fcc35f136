/**
 * RFC 9530 `Content-Digest`: a structured-field Dictionary of algorithm to Byte Sequence, over
 * the exact content bytes. Countersign writes `sha-256` (default) or `sha-512` and accepts both;
 * other algorithms in a received value are ignored, and the deprecated ones (`md5`, `sha`, …)
 * are never trusted.
 *
 * @module
 */
import { digest as backendDigest } from '../crypto/api.ts'
import { backend } from '../crypto/backend.ts'
import type { DigestAlgorithm } from '../crypto/types.ts'
import { toBase64 } from '../encoding.ts'
import { RequestError, SignatureError } from '../errors.ts'
import type { BareItem } from '../structured-fields.ts'
import { byteSequenceValue, bytesEqual } from './internal.ts'
import { parseFieldDictionary, singleByteSequence } from './parse.ts'

/** The `Content-Digest` algorithms Countersign creates and verifies. */
export type ContentDigestAlgorithm = 'sha-256' | 'sha-512'

/** The digest function to use; defaults to the build's crypto backend. */
export interface DigestProvider {
  /** Hashes `data` (a crypto backend's `digest`). */
  digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array>
  /** Hashes `data` synchronously, when the provider can (a node:crypto backend); used if present. */
  readonly digestSync?: (algorithm: DigestAlgorithm, data: Uint8Array) => Uint8Array
  /** Hashes `data` synchronously to padded base64 (a node:crypto backend); used if present. */
  readonly digestBase64Sync?: (algorithm: DigestAlgorithm, data: Uint8Array) => string
}

/** Options for {@link createContentDigest}. */
export interface CreateContentDigestOptions {
  /** Which backend computes the hash (for tests across backends). Default: this build's. */
  backend?: DigestProvider
}

/** Options for {@link verifyContentDigest}. */
export interface VerifyContentDigestOptions {
  /** Algorithms to accept. Default `['sha-256', 'sha-512']`. */
  algorithms?: readonly ContentDigestAlgorithm[]
  /** Which backend computes the hash. Default: this build's. */
  backend?: DigestProvider
}

const SUPPORTED: readonly ContentDigestAlgorithm[] = ['sha-256', 'sha-512']

function checkAlgorithms(value: unknown, name: string): readonly ContentDigestAlgorithm[] {
  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0) {
    throw new TypeError(`${name} must name at least one algorithm`)
  }
  for (const algorithm of list) {
    if (!SUPPORTED.includes(algorithm as ContentDigestAlgorithm)) {
      throw new TypeError(
        `${name}: unsupported Content-Digest algorithm ${String(algorithm)}; use sha-256 or sha-512`,
      )
    }
  }
  return list as ContentDigestAlgorithm[]
}

/**
 * Computes a `Content-Digest` value over `body` (the exact bytes sent).
 *
 * @example
 * ```ts
 * await createContentDigest(utf8('{"hello": "world"}'))
 * // 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'
 * ```
 *
 * @throws `TypeError` for a body that is not a `Uint8Array` or an unsupported algorithm.
 */
export async function createContentDigest(
  body: Uint8Array,
  algorithm: ContentDigestAlgorithm | readonly ContentDigestAlgorithm[] = 'sha-256',
  options: CreateContentDigestOptions = {},
): Promise<string> {
  if (!(body instanceof Uint8Array)) {
    throw new TypeError('expected body to be a Uint8Array')
  }
  const provider: DigestProvider = options.backend ?? backend
  if (
    (algorithm === 'sha-256' || algorithm === 'sha-512') &&
    typeof provider.digestBase64Sync === 'function'
  ) {
    // One algorithm, hashed and encoded natively (node:crypto).
    return `${algorithm}=:${provider.digestBase64Sync(algorithm, body)}:`
  }
  if (
    (algorithm === 'sha-256' || algorithm === 'sha-512') &&
    typeof provider.digestSync === 'function'
  ) {
    // One algorithm (the usual call) hashed synchronously (node:crypto): no promise to await.
    return `${algorithm}=:${toBase64(provider.digestSync(algorithm, body))}:`
  }
  const hash = options.backend?.digest.bind(options.backend) ?? backendDigest
  if (algorithm === 'sha-256' || algorithm === 'sha-512') {
    // One algorithm (the usual call): a Dictionary of one Byte Sequence, `sha-256=:<base64>:`.
    return `${algorithm}=:${toBase64(await hash(algorithm, body))}:`
  }
  const algorithms = checkAlgorithms(algorithm, 'algorithm')
  // A Dictionary of known keys to Byte Sequences, as the structured-fields serialiser writes it
  // (base64 is always valid Byte Sequence content).
  let out = ''
  for (const name of new Set(algorithms)) {
    out += `${out === '' ? '' : ', '}${name}=:${toBase64(await hash(name, body))}:`
  }
  return out
}

/**
 * Parses a `Content-Digest` value: algorithm to digest bytes. Members that are not Byte
 * Sequences are skipped unless they use a supported algorithm (then the value is malformed).
 *
 * @example
 * ```ts
 * parseContentDigest('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:').get('sha-256')?.length // 32
 * ```
 *
 * @throws RequestError `malformed` when the value is not a Dictionary or a `sha-256`/`sha-512`
 *   member is not a Byte Sequence; `duplicate_header` when an algorithm appears twice.
 */
export function parseContentDigest(value: string): Map<string, Uint8Array> {
  if (typeof value !== 'string') {
    throw new TypeError('expected the Content-Digest value to be a string')
  }
  const out = new Map<string, Uint8Array>()
  const single = singleByteSequence(value)
  if (single !== undefined) {
    // One digest, `sha-256=:base64:`: what the Dictionary parser would return, without it.
    return out.set(single.key, single.bytes)
  }
  const { dictionary, duplicateKeys } = parseFieldDictionary(value, 'Content-Digest')
  if (duplicateKeys) {
    throw new RequestError('duplicate_header', 'Content-Digest names the same algorithm twice')
  }
  for (const [name, member] of dictionary) {
    const bytes = Array.isArray(member[0]) ? undefined : byteSequenceValue(member[0] as BareItem)
    if (bytes === undefined) {
      if (SUPPORTED.includes(name as ContentDigestAlgorithm)) {
        throw new RequestError('malformed', `Content-Digest ${name} is not a byte sequence`)
      }
      continue
    }
    out.set(name, bytes)
  }
  return out
}

/**
 * Verifies a `Content-Digest` value (or its already parsed form, from {@link parseContentDigest})
 * against the exact received bytes. Every accepted algorithm present must match; algorithms not
 * accepted are ignored; at least one must be present. Returns the algorithms checked.
 *
 * @example
 * ```ts
 * await verifyContentDigest(request.headers.get('content-digest') ?? '', bodyBytes) // ['sha-256']
 * ```
 *
 * @throws SignatureError `digest_mismatch` when a digest does not match the bytes or no accepted
 *   algorithm is present; RequestError `malformed` / `duplicate_header` as {@link parseContentDigest}.
 */
export function verifyContentDigest(
  value: string | ReadonlyMap<string, Uint8Array>,
  body: Uint8Array,
  options: VerifyContentDigestOptions = {},
): Promise<ContentDigestAlgorithm[]> {
  try {
    if (!(body instanceof Uint8Array)) {
      throw new TypeError('expected body to be a Uint8Array')
    }
    const accepted =
      options.algorithms === undefined
        ? SUPPORTED
        : checkAlgorithms(options.algorithms, 'algorithms')
    const provider: DigestProvider = options.backend ?? backend
    const digests = typeof value === 'string' ? parseContentDigest(value) : value
    if (typeof provider.digestSync === 'function') {
      // node:crypto hashes synchronously: no promise per algorithm, one for the result.
      const checked: ContentDigestAlgorithm[] = []
      for (const algorithm of accepted) {
        const expected = digests.get(algorithm)
        if (expected !== undefined) {
          checkOne(algorithm, provider.digestSync(algorithm, body), expected)
          checked.push(algorithm)
        }
      }
      return Promise.resolve(checkedAny(checked))
    }
    return verifyDigestsAsync(digests, body, accepted, provider)
  } catch (error) {
    return Promise.reject(error)
  }
}

async function verifyDigestsAsync(
  digests: ReadonlyMap<string, Uint8Array>,
  body: Uint8Array,
  accepted: readonly ContentDigestAlgorithm[],
  provider: DigestProvider,
): Promise<ContentDigestAlgorithm[]> {
  const checked: ContentDigestAlgorithm[] = []
  for (const algorithm of accepted) {
    const expected = digests.get(algorithm)
    if (expected !== undefined) {
      checkOne(algorithm, await provider.digest(algorithm, body), expected)
      checked.push(algorithm)
    }
  }
  return checkedAny(checked)
}

function checkOne(algorithm: ContentDigestAlgorithm, actual: Uint8Array, expected: Uint8Array) {
  if (!bytesEqual(actual, expected)) {
    throw new SignatureError(
      'digest_mismatch',
      `Content-Digest ${algorithm} does not match the body`,
    )
  }
}

function checkedAny(checked: ContentDigestAlgorithm[]): ContentDigestAlgorithm[] {
  if (checked.length === 0) {
    throw new SignatureError(
      'digest_mismatch',
      'Content-Digest holds no supported algorithm (sha-256, sha-512)',
    )
  }
  return checked
}
