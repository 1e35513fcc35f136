/**
 * Option and result types of `@countersign/signer`.
 *
 * @module
 */
import type {
  Algorithm,
  ContentDigestAlgorithm,
  FieldLine,
  HttpMessage,
  Key,
  KeyInput,
  KeyRing,
} from '@countersign/core'

/**
 * Key material to import once (by {@link createSigner}) instead of an imported {@link Key}.
 *
 * @example
 * ```ts
 * const key: KeyMaterial = { material: secretBytes, algorithm: 'hmac-sha256', keyId: 'k1' }
 * ```
 */
export interface KeyMaterial {
  /** Raw HMAC secret bytes, a PEM string (PKCS#8 private key) or a private JWK. */
  material: KeyInput
  /** The algorithm; required for raw secrets and PEM, inferred from a JWK. */
  algorithm?: Algorithm
  /** The key id; defaults as in core's `importKey` (a JWK `kid` or the key thumbprint). */
  keyId?: string
}

/** What to sign with: an imported key, or material to import once. */
export type SigningKey = Key | KeyMaterial

/** Options of one signature. */
export interface SignatureOptions {
  /** The signing key. One of `key` or `keyring` is required. */
  key?: SigningKey
  /** A key ring: its `signingKey()` is used (or the key an `Accept-Signature` names by `keyid`). */
  keyring?: KeyRing
  /**
   * The signature label (`[a-z*][a-z0-9_.*-]*`). Default: `sig1`, or the next free `sigN` when the
   * message already carries signatures or several are made in one call.
   */
  label?: string
  /**
   * Covered components, in order: bare names (`@method`, `content-type`) or structured-field
   * identifiers (`"@query-param";name="id"`, `"content-digest";req`). Default for a request:
   * `@method`, `@target-uri`, `content-digest` (when there is a body), `content-type` (when
   * present); for a response: `@status`, `content-digest`, `content-type`.
   */
  components?: readonly string[]
  /** The `created` parameter: Unix seconds or a `Date`. Default now; `false` omits it. */
  created?: number | Date | false
  /** The `expires` parameter: Unix seconds or a `Date`. Default none; `false` omits it. */
  expires?: number | Date | false
  /** Sets `expires` to `created` plus this many seconds (ignored when `expires` is given). */
  expiresIn?: number
  /** The `nonce` parameter. Default: 128 random bits (base64url); `false` omits it. */
  nonce?: string | false
  /** The `keyid` parameter. Default the key's `keyId`; `false` omits it. */
  keyid?: string | false
  /** Whether to include the `alg` parameter (the key's algorithm). Default `false`. */
  alg?: boolean
  /** The `tag` parameter: what the signature is for (e.g. `countersign-relay`). */
  tag?: string
}

/** Options of {@link signRequest} and {@link createSigner}. */
export interface SignRequestOptions extends SignatureOptions {
  /**
   * The `Content-Digest` algorithm for a message with a body: `sha-256` (default) or `sha-512`;
   * `false` adds none. A `Content-Digest` already on the message is checked against the body and
   * kept.
   */
  digest?: ContentDigestAlgorithm | false
  /**
   * Several signatures in one call (key rotation: sign with the old and the new key). Each entry
   * takes the top-level options as defaults; labels default to `sig1`, `sig2`, …
   */
  signatures?: readonly SignatureOptions[]
  /**
   * A server's `Accept-Signature` value (RFC 9421 §5.1): one signature is made per member, with
   * its label, its components, and the parameters it asks for (`keyid` selects the key from the
   * key ring, `alg` must match the key, `nonce`/`tag` values are used as given, `created` and
   * `expires` are included). Cannot be combined with `signatures`.
   */
  acceptSignature?: string
  /** Structured-field types for `;sf` on fields Countersign does not know (lowercase names). */
  structuredFields?: Readonly<Record<string, 'item' | 'list' | 'dictionary'>>
  /**
   * Where a private key (Ed25519, ECDSA, RSA) signs. `true`: through the key's asynchronous
   * `sign`, which on Node runs on libuv's thread pool, so a server signing under load keeps its
   * event loop for I/O at the cost of a hand-off per signature. A function: it is called with
   * the key and the signature base bytes and returns the signature (a worker thread, say; it
   * must sign with exactly that key). HMAC keys always sign on the calling thread, since a MAC
   * costs less than any hand-off. Default `false`: sign on the calling thread where the key
   * allows it.
   */
  offload?: boolean | SignOffload
}

/**
 * Signs `data` with `key` somewhere other than the calling thread; see
 * {@link SignRequestOptions.offload}.
 */
export type SignOffload = (key: Key, data: Uint8Array) => Promise<Uint8Array>

/** Options of {@link signResponse}: as for requests, plus the request being answered. */
export interface SignResponseOptions extends SignRequestOptions {
  /** The request this response answers, read by components with `;req`. */
  request?: Request | HttpMessage
}

/** Per-call options of a {@link Signer}: anything that varies per message. */
export interface SignCallOptions {
  /** Overrides `created` for this call. */
  created?: number | Date | false
  /** Overrides `expires` for this call. */
  expires?: number | Date | false
  /** Overrides `nonce` for this call. */
  nonce?: string | false
  /** Overrides `tag` for this call. */
  tag?: string
  /** Signs as this `Accept-Signature` value asks, for this call. */
  acceptSignature?: string
}

/** Per-call options of {@link Signer.signResponse}. */
export interface SignResponseCallOptions extends SignCallOptions {
  /** The request this response answers, read by components with `;req`. */
  request?: Request | HttpMessage
}

/**
 * A request as plain parts, for {@link signMessage}: what an HTTP client such as `undici.request`
 * or `node:http` sends, without building a Fetch `Request`.
 *
 * @example
 * ```ts
 * const message: RequestMessage = {
 *   method: 'POST',
 *   url: 'https://api.example.com/v1/orders',
 *   headers: { 'content-type': 'application/json' },
 *   body: '{"id":1}',
 * }
 * ```
 */
export interface RequestMessage {
  /** The method, as it will be sent (case-sensitive: `POST`, not `post`). */
  method: string
  /** The absolute target URI. */
  url: string | URL
  /**
   * The fields that will be sent: a `Headers`, `[name, value]` lines in order, or a record of
   * names to values. Never modified.
   */
  headers?: Headers | readonly FieldLine[] | Readonly<Record<string, string>>
  /** The exact body bytes that will be sent (a string is sent as UTF-8). Omit for no body. */
  body?: Uint8Array | string | null
}

/**
 * The fields {@link signMessage} produced, by lowercase name. Set each on the message, replacing
 * any value already there: `signature-input` and `signature` hold the signatures the message
 * already carried followed by the new ones.
 */
export interface SignedFields {
  /** The RFC 9530 digest of the body, when the signer added one (absent when already present). */
  'content-digest'?: string
  /** The `Signature-Input` value. */
  'signature-input': string
  /** The `Signature` value. */
  signature: string
}

/**
 * What {@link signRequestInit} returns: the caller's `RequestInit` with the method as fetch
 * sends it, the headers as `[name, value]` lines including the signature fields, and the body
 * that was signed. Pass it to `fetch` unchanged.
 */
export interface SignedRequestInit extends RequestInit {
  method: string
  headers: [string, string][]
  body?: BodyInit
}

/** A reusable signer from {@link createSigner}: options checked and keys imported once. */
export interface Signer {
  /** Signs a request; see {@link signRequest}. */
  signRequest(request: Request, options?: SignCallOptions): Promise<Request>
  /**
   * Signs a request given as plain parts and returns the fields to add; see {@link signMessage}.
   * The fast path: no `Request` is cloned or built.
   */
  signMessage(message: RequestMessage, options?: SignCallOptions): Promise<SignedFields>
  /**
   * Signs the `init` of a `fetch(url, init)` call and returns the `init` to send; see
   * {@link signRequestInit}. The fast path for `fetch` callers: no `Request` is built for no
   * body, a string or bytes.
   */
  signRequestInit(
    url: string | URL,
    init?: RequestInit,
    options?: SignCallOptions,
  ): Promise<SignedRequestInit>
  /** Signs a response; see {@link signResponse}. */
  signResponse(response: Response, options?: SignResponseCallOptions): Promise<Response>
}
