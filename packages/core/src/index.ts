/**
 * Countersign core: errors, byte encodings, the crypto backends (node:crypto under the `node`
 * export condition, Web Crypto elsewhere), keys and key rings, prefixed secrets, store
 * interfaces with a bounded in-memory store, structured fields, and the RFC 9421 signature base.
 *
 * @module
 */

// Crypto bound to this build's backend (including HKDF-SHA256 and AES-256-GCM).
export {
  aesGcmDecrypt,
  aesGcmEncrypt,
  computeJwkThumbprint,
  cryptoBackendName,
  digest,
  generateKeyPair,
  hashSecret,
  hkdfSha256,
  importKey,
} from './crypto/api.ts'
export { generateNonce, randomBytes } from './crypto/random.ts'
export { timingSafeEqual } from './crypto/timing-safe-equal.ts'
export type {
  Algorithm,
  CryptoBackend,
  DigestAlgorithm,
  GenerateKeyOptions,
  ImportKeyOptions,
  Key,
  KeyInput,
  KeyPair,
  KeyType,
  PublicJwk,
} from './crypto/types.ts'
export { ALGORITHMS } from './crypto/types.ts'
export { webBackend } from './crypto/web.ts'

// Encodings.
export {
  base62Width,
  concatBytes,
  fromBase62,
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  toBase62,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from './encoding.ts'

// Errors.
export type {
  AuthErrorCode,
  ClientErrorCode,
  CountersignErrorOptions,
  ErrorCode,
  ProblemDetails,
  RequestErrorCode,
  SignatureErrorCode,
  StoreErrorCode,
  TokenErrorCode,
  UpstreamErrorCode,
} from './errors.ts'
export {
  AuthError,
  ClientError,
  CountersignError,
  ERROR_CODES,
  isCountersignError,
  RateLimitError,
  RequestError,
  SignatureError,
  StoreError,
  TokenError,
  UpstreamError,
} from './errors.ts'
// HTTP message signatures (RFC 9421) and Content-Digest (RFC 9530): added by the signing work.
export type { ComponentIdentifier } from './http-signatures/components.ts'
export {
  componentKey,
  createComponentIdentifier,
  DERIVED_COMPONENTS,
  parseComponentIdentifier,
  validateComponents,
} from './http-signatures/components.ts'
export type {
  ContentDigestAlgorithm,
  CreateContentDigestOptions,
  DigestProvider,
  VerifyContentDigestOptions,
} from './http-signatures/content-digest.ts'
export {
  createContentDigest,
  parseContentDigest,
  verifyContentDigest,
} from './http-signatures/content-digest.ts'
export type { FieldLine, HttpMessage } from './http-signatures/message.ts'
export type {
  SignatureBase,
  SignatureBaseOptions,
  SignatureParams,
  SignatureParamValue,
  StructuredFieldType,
} from './http-signatures/signature-base.ts'
export { createSignatureBase, encodeQueryParamPart } from './http-signatures/signature-base.ts'
export type {
  AcceptSignatureMember,
  SignatureEntry,
  SignatureInputMember,
} from './http-signatures/signature-fields.ts'
export {
  parseAcceptSignature,
  parseSignature,
  parseSignatureInput,
  serializeAcceptSignature,
  serializeSignatures,
} from './http-signatures/signature-fields.ts'
export type { InternalProblem } from './internal-problem.ts'
export { internalProblem } from './internal-problem.ts'
// Strict JSON for untrusted input.
export type { JsonObject, JsonValue, ParseJsonStrictOptions } from './json/parse-json-strict.ts'
export { DEFAULT_JSON_MAX_DEPTH, isJsonObject, parseJsonStrict } from './json/parse-json-strict.ts'
// Keys.
export type { Jwks, KeyRing, KeyRingEntryOptions } from './keys/key-ring.ts'
export { createKeyRing } from './keys/key-ring.ts'
export type { RemoteJwks, RemoteJwksOptions } from './keys/remote-jwks.ts'
export { createRemoteJwks } from './keys/remote-jwks.ts'
// Bodies and media types.
export type { MediaType } from './parse-media-type.ts'
export { parseMediaType } from './parse-media-type.ts'
export { DEFAULT_PROBLEM_TYPE_BASE, problemType } from './problem-type.ts'
export { readCapped } from './read-capped.ts'
export { readRequestBody } from './read-request-body.ts'
// Secrets.
export type { ParsedSecret } from './secrets.ts'
export { checkSecret, generateSecret, parseSecret } from './secrets.ts'
export { setProblemTypeBase } from './set-problem-type-base.ts'
// Stores.
export type { MemoryStoreOptions } from './store/memory.ts'
export { createMemoryStore } from './store/memory.ts'
export type {
  ConsumeOnceStore,
  HitOptions,
  HitResult,
  KeyValueStore,
  SetOptions,
  Store,
  WindowCounterStore,
} from './store/types.ts'
// Structured fields (RFC 9651).
export type {
  BareItem,
  Dictionary,
  InnerList,
  Item,
  List,
  Parameters,
} from './structured-fields.ts'
export {
  ByteSequence,
  DisplayString,
  parseDictionary,
  parseItem,
  parseList,
  serializeDictionary,
  serializeItem,
  serializeList,
  Token,
} from './structured-fields.ts'
export type { Traceparent } from './traceparent-of.ts'
export { traceparentOf } from './traceparent-of.ts'
