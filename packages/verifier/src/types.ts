/**
 * Option and result types of `@countersign/verifier`.
 *
 * @module
 */
import type {
  Algorithm,
  ConsumeOnceStore,
  FieldLine,
  Key,
  KeyRing,
  SignatureParams,
} from '@countersign/core'

/** Finds the key for a `keyid`: `undefined` when unknown. May be async (a database, a JWKS). */
export type KeyResolver = (keyId: string) => Key | undefined | Promise<Key | undefined>

/** Options of {@link verifyRequest} and {@link createVerifier}. */
export interface VerifyRequestOptions {
  /** The keys: a resolver by `keyid`, or a core `KeyRing`. The algorithm always comes from the key. */
  keys: KeyResolver | KeyRing
  /**
   * Components every accepted signature must cover. Default
   * `['@method', '@target-uri', 'content-digest', 'content-type']`, where `content-digest` is
   * required only when the body is not empty and `content-type` only when the request has one.
   * `[]` requires nothing (not recommended).
   */
  requiredComponents?: readonly string[]
  /** How old `created` may be, in seconds. Default 300. */
  maxAgeSeconds?: number
  /** How far in the future `created` may be (clock skew), in seconds. Default 60. */
  maxFutureSeconds?: number
  /** Whether a `nonce` is required. Default `true`. A nonce present is always single-use. */
  requireNonce?: boolean
  /**
   * Where used nonces are remembered (for `maxAgeSeconds`). Default: a bounded in-memory store,
   * one per `createVerifier` (one shared by one-shot `verifyRequest` calls), which
   * protects one process only; use a shared store (SQLite, Redis) behind a load balancer.
   */
  nonceStore?: ConsumeOnceStore
  /** Check only the signature with this label. Default: the first one that meets the policy. */
  label?: string
  /** Accept only signatures with this `tag` parameter. */
  tag?: string
  /** The largest body read, in bytes. Default 1 MiB; larger is `body_too_large` (413). */
  maxBodyBytes?: number
  /**
   * The raw field lines as received, for adapters that see them (Node's `rawHeaders`): then
   * duplicates are exact and components are read from these lines, not `request.headers`.
   */
  fieldLines?: readonly FieldLine[]
  /** Structured-field types for `;sf` on fields Countersign does not know (lowercase names). */
  structuredFields?: Readonly<Record<string, 'item' | 'list' | 'dictionary'>>
}

/** Per-call options of a {@link Verifier}. */
export interface VerifyCallOptions {
  /** The raw field lines of this request (see {@link VerifyRequestOptions.fieldLines}). */
  fieldLines?: readonly FieldLine[]
}

/** What a verified request proved. */
export interface VerifiedRequest {
  /** The key id of the signature that verified. */
  keyId: string
  /** The algorithm, taken from the key. */
  algorithm: Algorithm
  /** The label of the signature that verified. */
  label: string
  /** The covered components, as serialised identifiers (e.g. `"@method"`). */
  components: string[]
  /** The signature parameters. */
  params: SignatureParams
  /**
   * The body bytes that were checked against `Content-Digest` (when covered). Use these: the
   * request's own body stream has been read.
   */
  body: Uint8Array
  /** The key that verified. */
  key: Key
}

/**
 * A received request as plain parts, for {@link verifyMessage}: what a server adapter has before
 * (or instead of) building a Fetch `Request`.
 *
 * @example
 * ```ts
 * const message: ReceivedRequest = {
 *   method: req.method,
 *   url: `https://api.example.com${req.url}`,
 *   headers: fieldLinesFrom(req.rawHeaders), // [name, value] lines as received
 *   body: bodyBytes,
 * }
 * ```
 */
export interface ReceivedRequest {
  /** The method as received (case-sensitive). */
  method: string
  /** The absolute target URI, built from the server's own origin and the request target. */
  url: string | URL
  /**
   * The fields: `[name, value]` lines as received (best: duplicates are detected exactly), a
   * `Headers`, or a record of names to values (an array value is several lines).
   */
  headers: Headers | readonly FieldLine[] | Readonly<Record<string, string | readonly string[]>>
  /** The exact body bytes received; omit or `null` for none. */
  body?: Uint8Array | null
  /**
   * The request target as written on the request line, when it was not the origin form of
   * `url` (an absolute-form request). Read by `@request-target`.
   */
  requestTarget?: string
}

/** A reusable verifier from {@link createVerifier}. */
export interface Verifier {
  /** Verifies a request; see {@link verifyRequest}. */
  verifyRequest(request: Request, options?: VerifyCallOptions): Promise<VerifiedRequest>
  /**
   * Verifies a request given as plain parts (method, URL, field lines, body bytes); see
   * {@link verifyMessage}. The fast path: no `Request` is needed.
   */
  verifyMessage(message: ReceivedRequest): Promise<VerifiedRequest>
  /** The `Accept-Signature` value for a 401 answer to `request`, matching this verifier's policy. */
  acceptSignature(request?: Request | ReceivedRequest): string
}
