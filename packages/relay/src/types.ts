/**
 * Option and result types of `@countersign/relay`.
 *
 * @module
 */
import type {
  ErrorCode,
  Jwks,
  Key,
  KeyRing,
  KeyValueStore,
  WindowCounterStore,
} from '@countersign/core'
import type { KeySource } from '@countersign/tokens'
import type { HostResolver } from './ssrf/guarded-agent.ts'

/** How the relay signs what it forwards to one target. */
export interface RelayTargetSigning {
  /**
   * `ed25519` (default): signed with the relay's key ring, verifiable by anyone with the relay's
   * JWKS. `hmac-sha256`: signed with a secret shared with this target only.
   */
  algorithm?: 'ed25519' | 'hmac-sha256'
  /**
   * The HMAC secret (for `hmac-sha256`): at least 32 bytes, as bytes, as unpadded base64url
   * text, or as a key from core's `importKey`.
   */
  secret?: Uint8Array | string | Key
  /** The `keyid` sent with HMAC signatures. Default: the target's `id`. */
  keyId?: string
}

/** The skapi-compatible mode of a target: also send `api_key` in the body, as skapi did. */
export interface RelaySkapiCompat {
  /** The key old handlers compare `body.api_key` against. Never logged. */
  apiKey: string
}

/** A registered target: the only places the relay forwards to. */
export interface RelayTarget {
  /** A short id for logs, rate limits and the audit trail: `[A-Za-z0-9._-]{1,64}`. */
  id: string
  /**
   * The target's origin and path prefix, e.g. `https://api.example.com/v1`. A requested URL
   * matches when its origin is exactly this origin and its path is this path or below it on a
   * segment boundary. No userinfo, query or fragment.
   */
  baseUrl: string
  /** How forwarded requests are signed. Default `{ algorithm: 'ed25519' }`. */
  signing?: RelayTargetSigning
  /** The time limit of one forwarded request (connect, headers and body), ms. Default 10,000. */
  timeoutMs?: number
  /**
   * The largest body in either direction for this target, in bytes: the envelope sent (larger
   * is `body_too_large`, 413) and the answer received (larger is `upstream_too_large`, 502).
   * Default 1 MiB.
   */
  maxBodyBytes?: number
  /**
   * Allow this target to resolve to loopback, private (RFC 1918), unique-local and CGNAT
   * addresses. Metadata, link-local and other special addresses stay refused. Default `false`.
   */
  allowPrivateNetwork?: boolean
  /**
   * Allow a plain `http:` base URL for this target. Targets are `https:` only otherwise (see
   * also {@link RelayOptions.localDevelopment}). Default `false`.
   */
  allowHttp?: boolean
  /** Send `api_key` in the envelope for handlers written for skapi. Off by default. */
  skapiCompat?: RelaySkapiCompat
}

/**
 * The end user the relay forwards for, as the target receives it in `body.user`:
 * `user_id` plus the token's other claims.
 */
export interface RelayUser {
  /** The user's id (the token's `sub`). */
  user_id: string
  /** Other claims. */
  [claim: string]: unknown
}

/** Users proved by Countersign user tokens (JWTs from `@countersign/tokens`), verified locally. */
export interface CountersignAuth {
  /** `'countersign'`. */
  type: 'countersign'
  /** The expected `iss`. */
  issuer: string
  /** The expected audience (one of the token's must match). */
  audience: string | readonly string[]
  /** The issuer's public keys as a JWKS object. */
  jwks?: Jwks
  /** Where the issuer publishes its JWKS (fetched and cached). */
  jwksUrl?: string
  /** Verification keys (a key ring, keys, or a `kid` resolver). */
  keys?: KeySource
  /**
   * The issuer's jti denylist (the store given to `createUserTokens`): when set, revoked tokens
   * are refused, also on a cache hit. Default: no revocation check.
   */
  denylist?: KeyValueStore
  /**
   * The verified-token cache: the exact token string to the user its verification produced,
   * so a token sent again skips the signature check. An entry is used until the token's `exp`
   * or `maxAgeMs` after it was verified, whichever is first, and only while the token's `kid`
   * still resolves to the key that verified it (a key removed from the ring or the JWKS ends
   * it); the denylist, when set, is checked on every hit. Failures are never cached; tokens
   * over 4096 characters are not cached. `false` verifies every request.
   * Default `{ maxEntries: 10_000, maxAgeMs: 60_000 }`.
   */
  cache?: false | RelayTokenCache
}

/** Settings of the verified-token cache ({@link CountersignAuth.cache}). */
export interface RelayTokenCache {
  /** The most tokens held; the oldest goes first. Default 10,000. */
  maxEntries?: number
  /** The longest an entry is used after the token was verified, in ms. Default 60,000. */
  maxAgeMs?: number
}

/** Users proved by RFC 7662 token introspection at the token service. */
export interface IntrospectionAuth {
  /** `'introspection'`. */
  type: 'introspection'
  /** The introspection endpoint, e.g. `https://tokens.example/oauth/introspect`. */
  url: string
  /** The relay's API key at the token service (scope `tokens:introspect`). Never logged. */
  apiKey: string
  /** The expected `iss` of an answer (answers without it are refused). */
  issuer: string
  /**
   * The expected audience (one of the answer's `aud` must match; answers without `aud` are
   * refused), as for `countersign` and `oidc`: a token the token service issued to another app
   * is not accepted here.
   */
  audience: string | readonly string[]
  /** How long an answer is cached, in milliseconds (never past the token's `exp`). Default 30,000. */
  cacheMs?: number
  /** The time limit of one introspection call, in milliseconds. Default 5000. */
  timeoutMs?: number
}

/** Users proved by OpenID Connect ID or access tokens (JWTs) from any OIDC provider. */
export interface OidcAuth {
  /** `'oidc'`. */
  type: 'oidc'
  /** The expected `iss`. */
  issuer: string
  /** The expected audience (one of the token's must match). */
  audience: string | readonly string[]
  /** The provider's JWKS URL. */
  jwksUrl: string
  /** Accepted JWS algorithms. Default `['RS256', 'PS256', 'ES256', 'EdDSA']`. */
  algorithms?: readonly string[]
}

/** Users proved by your own code. */
export interface CustomAuth {
  /** `'custom'`. */
  type: 'custom'
  /**
   * Returns the user of `request`, or `null`/`undefined` when it has none (401). Throwing a
   * Countersign error answers with it; any other error is a 401 too. Must not read the body.
   */
  authenticate(
    request: Request,
  ): RelayUser | null | undefined | Promise<RelayUser | null | undefined>
}

/** How the relay authenticates end users. */
export type RelayAuth = CountersignAuth | IntrospectionAuth | OidcAuth | CustomAuth

/** One rate-limit rule: at most `limit` requests in any `windowMs` (sliding window). */
export interface RateLimitRule {
  /** The most requests per window. */
  limit: number
  /** The window, in milliseconds. */
  windowMs: number
}

/** Per-user and per-target rate limits. */
export interface RelayRateLimits {
  /** The limit for each user across all targets. */
  perUser?: RateLimitRule
  /** The limit for each target across all users. */
  perTarget?: RateLimitRule
}

/**
 * One audit event: one per forwarded request (each item of a batch is one), with ids, sizes
 * and outcome only; never a token, a key or a body.
 */
export interface RelayAuditEvent {
  /** When the request arrived (ISO 8601). */
  time: string
  /** The id sent to the target in `request.id` (and answered as `x-request-id`). */
  requestId: string
  /** For batch items, the id of the HTTP request that carried the batch. */
  batchId?: string
  /** The authenticated user, when there was one. */
  userId?: string
  /** The matched target, when there was one. */
  targetId?: string
  /** The status answered for this request (or batch item). */
  status: number
  /** The Countersign error code, when the relay refused or failed. */
  code?: ErrorCode | 'internal_error'
  /** Milliseconds from arrival to answer. */
  latencyMs: number
  /** Body bytes received: the HTTP body, or for a batch item the envelope forwarded. */
  bytesIn: number
  /** Body bytes answered: the HTTP body, or for a batch item the upstream answer. */
  bytesOut: number
}

/** Receives audit events. Errors it throws or rejects with are ignored. */
export type AuditSink = (event: RelayAuditEvent) => void | Promise<void>

/** CORS for browser clients. */
export interface RelayCors {
  /** Origins allowed to call `POST /secure-request` from a browser, exactly (`https://app.example`). */
  allowedOrigins: readonly string[]
  /** How long a preflight answer may be cached, in seconds. Default 600. */
  maxAgeSeconds?: number
}

/** Options of {@link createRelay}. */
export interface RelayOptions {
  /**
   * The relay's signing keys (Ed25519 private keys): a core key ring (rotation with overlap:
   * several keys, one signing) or keys (the last one signs). Their public halves are served at
   * `/.well-known/jwks.json`. Required when a target signs with `ed25519`.
   */
  keys?: KeyRing | readonly Key[]
  /** The registered targets. */
  targets: readonly RelayTarget[]
  /** How end users are authenticated. */
  auth: RelayAuth
  /**
   * Where rate-limit windows are counted: core's memory store (the default, one process) or
   * `@countersign/store`'s Redis or SQLite store (shared by every relay instance).
   */
  store?: WindowCounterStore
  /** Rate limits. Default none. */
  rateLimit?: RelayRateLimits
  /** The largest request body, in bytes. Default 64 KiB. */
  maxRequestBytes?: number
  /** The deepest JSON nesting accepted in a request body. Default 32. */
  maxJsonDepth?: number
  /** The most items in one batch. Default 10. */
  maxBatchSize?: number
  /** How long a forwarded signature is valid (`expires` minus `created`), in seconds. Default 60. */
  signatureTtlSeconds?: number
  /** How long resolving and connecting to a target may take, in milliseconds. Default 5000. */
  connectTimeoutMs?: number
  /** Where audit events go. Default: nowhere. See {@link jsonLinesSink}. */
  audit?: AuditSink
  /** CORS for browser clients. Default: no CORS headers. */
  cors?: RelayCors
  /**
   * Local development: allow plain `http:` base URLs on every target (as `allowHttp: true` on
   * each). Never in production. Default `false`.
   */
  localDevelopment?: boolean
  /** The DNS resolver used at connect time. Default: the system resolver. Tests inject a stub. */
  resolver?: HostResolver
  /**
   * Told, for each `auth.type: 'countersign'` token check, whether the token cache answered it
   * (`true`) or the token was verified in full (`false`), for a metric such as
   * `countersign_token_cache_hits_total`. Errors it throws are ignored. Default: none.
   */
  onTokenCache?: (hit: boolean) => void
}

/** The relay: a Web-standard handler, plus `close()` to release its connections. */
export interface RelayHandler {
  /** Handles one request. Never rejects: every failure is an RFC 9457 answer. */
  (request: Request): Promise<Response>
  /** Closes the relay's upstream connections. */
  close(): Promise<void>
}
