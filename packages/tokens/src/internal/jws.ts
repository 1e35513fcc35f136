/**
 * Compact JWS (RFC 7515) signing and strict verification on core {@link Key}s, without a JOSE
 * library: the one JWS path for every JWT the project accepts (Countersign user tokens, OIDC ID
 * and access tokens at the relay). The algorithm comes from the key (the header must name the
 * key's own algorithm), `kid` is required, `typ` is checked, `crit`, `b64` and key-carrying
 * header parameters are refused, base64url is decoded strictly, sizes are capped, and JSON is
 * parsed with the strict parser. On the Node backend verification is synchronous
 * (`verifySync`), which is what makes it faster than a general-purpose library (decision 34).
 *
 * @module
 */
import {
  type Algorithm,
  fromBase64Url,
  isJsonObject,
  type JsonObject,
  type Key,
  parseJsonStrict,
  TokenError,
  toBase64Url,
} from '@countersign/core'
import type { VerifyOffload } from '../verify-user-token.ts'

/** JWS `alg` values accepted for each key algorithm (RFC 9864's `Ed25519` and the older `EdDSA`). */
const ACCEPTED_ALGS: Partial<Record<Algorithm, readonly string[]>> = {
  ed25519: ['EdDSA', 'Ed25519'],
  'ecdsa-p256-sha256': ['ES256'],
  'rsa-v1_5-sha256': ['RS256'],
  'rsa-pss-sha512': ['PS512'],
}

/** The JWS `alg` written when signing with a key of each algorithm. */
const SIGNING_ALG: Partial<Record<Algorithm, string>> = {
  ed25519: 'EdDSA',
  'ecdsa-p256-sha256': 'ES256',
}

/** Every JWS `alg` this module can verify. */
export const SUPPORTED_JWS_ALGS: readonly string[] = ['EdDSA', 'Ed25519', 'ES256', 'RS256', 'PS512']

/** The JWS `alg` values of user tokens (the algorithms the token service signs with). */
export const USER_TOKEN_ALGS: readonly string[] = ['EdDSA', 'Ed25519', 'ES256']

/** The JWS `alg` to write for `key`. @throws `TypeError` for a key that cannot sign JWTs. */
export function jwsAlgOf(key: Key): string {
  const alg = SIGNING_ALG[key.algorithm]
  if (alg === undefined || key.type !== 'private') {
    throw new TypeError(
      `expected an ed25519 or ecdsa-p256-sha256 private key to sign JWTs, got ${key.type} ${key.algorithm}`,
    )
  }
  return alg
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Signs a compact JWS with `header` and `payload` (already JSON-safe objects). */
export async function signCompact(key: Key, header: object, payload: object): Promise<string> {
  const input = `${toBase64Url(encoder.encode(JSON.stringify(header)))}.${toBase64Url(
    encoder.encode(JSON.stringify(payload)),
  )}`
  const data = encoder.encode(input)
  // Synchronous where the backend can: DESIGN.md "Crypto" (Ed25519 sign 24.6k vs 13.6k ops/s).
  const signature = key.signSync === undefined ? await key.sign(data) : key.signSync(data)
  return `${input}.${toBase64Url(signature)}`
}

/** A validated protected header. */
export interface JwsHeader {
  alg: string
  kid: string
  typ: string | undefined
  raw: JsonObject
}

/** Resolves a key id to a verification key. */
export type JwsKeyResolver = (kid: string) => Key | undefined | Promise<Key | undefined>

/** Options for {@link verifyCompact}. */
export interface VerifyCompactOptions {
  resolve: JwsKeyResolver
  /** Allowed `alg` values. */
  algorithms: readonly string[]
  /**
   * Allowed `typ` values, lowercase, without `application/` (the header's is compared
   * case-insensitively, with or without it). Empty: any.
   */
  types: readonly string[]
  /** Whether a header without `typ` passes the `types` check. Default `false`. */
  typeOptional?: boolean
  /** Longest token accepted, in characters. */
  maxLength: number
  /**
   * Where an asymmetric signature is checked: inline (`false`, the default), through
   * `key.verify` (`true`), or by the function given.
   */
  offload?: boolean | VerifyOffload
}

/** The outcome of {@link verifyCompact}. */
export interface VerifiedCompact {
  header: JwsHeader
  payload: JsonObject
  key: Key
}

const invalid = (message: string): TokenError => new TokenError('token_invalid', message)

function decodeSegment(segment: string, what: string): JsonObject {
  let text: string
  try {
    text = decoder.decode(fromBase64Url(segment))
  } catch {
    throw invalid(`malformed JWT ${what}`)
  }
  let value: unknown
  try {
    value = parseJsonStrict(text, { maxDepth: 16 })
  } catch {
    throw invalid(`malformed JWT ${what}`)
  }
  if (!isJsonObject(value)) {
    throw invalid(`malformed JWT ${what}`)
  }
  return value
}

function normaliseTyp(typ: string): string {
  const lower = typ.toLowerCase()
  return lower.startsWith('application/') ? lower.slice(12) : lower
}

function parseHeader(segment: string, options: VerifyCompactOptions): JwsHeader {
  const raw = decodeSegment(segment, 'header')
  const { alg, kid, typ } = raw
  if (typeof alg !== 'string' || !SUPPORTED_JWS_ALGS.includes(alg)) {
    throw invalid('unsupported JWT algorithm')
  }
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) {
    throw invalid('JWT header has no usable kid')
  }
  if (typ !== undefined && typeof typ !== 'string') {
    throw invalid('malformed JWT typ')
  }
  if ('crit' in raw) {
    throw invalid('JWT header has crit parameters')
  }
  if ('b64' in raw || 'jku' in raw || 'jwk' in raw || 'x5u' in raw || 'x5c' in raw) {
    throw invalid('JWT header has unsupported parameters')
  }
  if (!options.algorithms.includes(alg)) {
    throw invalid('JWT algorithm not allowed')
  }
  if (options.types.length > 0) {
    const missingOk = typ === undefined && options.typeOptional === true
    if (!missingOk && (typ === undefined || !options.types.includes(normaliseTyp(typ)))) {
      throw invalid('wrong JWT typ')
    }
  }
  return { alg, kid, typ, raw }
}

/**
 * Verifies a compact JWS strictly and returns its header and payload.
 *
 * @throws `TokenError` `token_invalid` for anything wrong with it.
 */
export async function verifyCompact(
  token: string,
  options: VerifyCompactOptions,
): Promise<VerifiedCompact> {
  if (typeof token !== 'string' || token.length === 0 || token.length > options.maxLength) {
    throw invalid('malformed JWT')
  }
  const d1 = token.indexOf('.')
  const d2 = d1 < 0 ? -1 : token.indexOf('.', d1 + 1)
  if (d1 <= 0 || d2 < 0 || d2 === d1 + 1 || token.indexOf('.', d2 + 1) !== -1) {
    throw invalid('malformed JWT')
  }
  const header = parseHeader(token.slice(0, d1), options)
  const key = await options.resolve(header.kid)
  if (key === undefined) {
    throw invalid('unknown JWT key')
  }
  const accepted = ACCEPTED_ALGS[key.algorithm]
  if (accepted === undefined || !accepted.includes(header.alg)) {
    throw invalid('JWT algorithm does not match the key')
  }
  let signature: Uint8Array
  try {
    signature = fromBase64Url(token.slice(d2 + 1))
  } catch {
    throw invalid('malformed JWT signature')
  }
  const data = encoder.encode(token.slice(0, d2))
  const offload = options.offload ?? false
  let ok: boolean
  if (offload !== false && key.type !== 'secret') {
    ok =
      (await (offload === true ? key.verify(data, signature) : offload(key, data, signature))) ===
      true
  } else {
    // Synchronous on a cached KeyObject where the backend has it: bench `tokens/user-token JWT
    // verify` (verifyUserToken against jose jwtVerify and one raw node:crypto verify).
    ok =
      key.verifySync === undefined
        ? await key.verify(data, signature)
        : key.verifySync(data, signature)
  }
  if (!ok) {
    throw invalid('JWT signature does not verify')
  }
  return { header, payload: decodeSegment(token.slice(d1 + 1, d2), 'payload'), key }
}
