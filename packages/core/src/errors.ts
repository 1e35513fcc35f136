/**
 * Errors thrown by Countersign packages. Every failure a caller may act on is a
 * {@link CountersignError} with a stable `code` and the HTTP `status` a server should answer with.
 * Caller misuse (a wrong argument type, a missing option) throws a native `TypeError` or
 * `RangeError` instead, because it is a bug to fix rather than an outcome to handle.
 *
 * Messages never contain a secret, a token, a key or a signature value.
 *
 * @module
 */
import { problemType } from './problem-type.ts'

/** Every error code, with the HTTP status it maps to. The codes are stable: they never change meaning. */
export const ERROR_CODES = {
  // request shape (RequestError)
  malformed: 400,
  invalid_json: 400,
  duplicate_header: 400,
  component_unsupported: 400,
  body_too_large: 413,
  headers_too_large: 431,
  request_too_slow: 408,
  unsupported_media_type: 415,
  not_found: 404,
  method_not_allowed: 405,
  // signatures (SignatureError)
  signature_missing: 401,
  signature_invalid: 401,
  signature_expired: 401,
  component_missing: 401,
  digest_missing: 401,
  digest_mismatch: 401,
  replayed: 401,
  key_unknown: 401,
  algorithm_mismatch: 401,
  // credentials (TokenError)
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  token_revoked: 401,
  // authentication and authorisation (AuthError)
  not_logged_in: 401,
  api_key_invalid: 401,
  forbidden: 403,
  target_forbidden: 403,
  // rate limits (RateLimitError)
  rate_limited: 429,
  // state (StoreError)
  store_unavailable: 503,
  store_full: 503,
  // relaying (UpstreamError)
  upstream_unreachable: 502,
  upstream_timeout: 504,
  upstream_too_large: 502,
  upstream_error: 502,
  jwks_unavailable: 503,
  // client-side (ClientError)
  network_error: 502,
  request_timeout: 504,
  request_aborted: 499,
} as const satisfies Record<string, number>

/** A stable Countersign error code. */
export type ErrorCode = keyof typeof ERROR_CODES

/** Codes of {@link RequestError}. */
export type RequestErrorCode =
  | 'malformed'
  | 'invalid_json'
  | 'duplicate_header'
  | 'component_unsupported'
  | 'body_too_large'
  | 'headers_too_large'
  | 'request_too_slow'
  | 'unsupported_media_type'
  | 'not_found'
  | 'method_not_allowed'
/** Codes of {@link SignatureError}. */
export type SignatureErrorCode =
  | 'signature_missing'
  | 'signature_invalid'
  | 'signature_expired'
  | 'component_missing'
  | 'digest_missing'
  | 'digest_mismatch'
  | 'replayed'
  | 'key_unknown'
  | 'algorithm_mismatch'
/** Codes of {@link TokenError}. */
export type TokenErrorCode = 'token_missing' | 'token_invalid' | 'token_expired' | 'token_revoked'
/** Codes of {@link AuthError}. */
export type AuthErrorCode = 'not_logged_in' | 'api_key_invalid' | 'forbidden' | 'target_forbidden'
/** Codes of {@link StoreError}. */
export type StoreErrorCode = 'store_unavailable' | 'store_full'
/** Codes of {@link UpstreamError}. */
export type UpstreamErrorCode =
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'upstream_too_large'
  | 'upstream_error'
  | 'jwks_unavailable'
/** Codes of {@link ClientError}. */
export type ClientErrorCode = 'network_error' | 'request_timeout' | 'request_aborted'

/** Options accepted by every Countersign error constructor. */
export interface CountersignErrorOptions {
  /** The underlying error. Never pass anything that holds a secret. */
  cause?: unknown
  /** Whether the same call may succeed if retried (a store outage: yes; a bad signature: no). */
  retryable?: boolean
}

/** An RFC 9457 problem details object. */
export interface ProblemDetails {
  /** A URI naming the problem type, one per error code. */
  type: string
  /** A fixed, human-readable summary of the type (the code in words). */
  title: string
  /** The HTTP status. */
  status: number
  /** The stable Countersign error code. */
  code: ErrorCode
  /** This occurrence's message, when it says more than the title. Never holds a secret. */
  detail?: string
}

/** The base class of every coded Countersign error. */
export class CountersignError extends Error {
  /** The stable error code. */
  readonly code: ErrorCode
  /** The HTTP status a server should answer with. */
  readonly status: number
  /** Whether retrying the same call can succeed. */
  readonly retryable: boolean

  constructor(code: ErrorCode, message?: string, options: CountersignErrorOptions = {}) {
    super(
      message ?? code.replaceAll('_', ' '),
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    if (!Object.hasOwn(ERROR_CODES, code)) {
      throw new TypeError(`unknown Countersign error code: ${String(code)}`)
    }
    this.name = 'CountersignError'
    this.code = code
    this.status = ERROR_CODES[code]
    this.retryable = options.retryable ?? false
  }

  /** The RFC 9457 problem details for this error, safe to send to a client. */
  toProblem(): ProblemDetails {
    const problem: ProblemDetails = {
      type: problemType(this.code),
      title: this.code.replaceAll('_', ' '),
      status: this.status,
      code: this.code,
    }
    if (this.message !== problem.title) {
      problem.detail = this.message
    }
    return problem
  }
}

/** The request itself is malformed: unparseable headers or body, duplicate fields, wrong media type. */
export class RequestError extends CountersignError {
  declare readonly code: RequestErrorCode
  constructor(code: RequestErrorCode, message?: string, options?: CountersignErrorOptions) {
    super(code, message, options)
    this.name = 'RequestError'
  }
}

/** A message signature or body digest did not verify. */
export class SignatureError extends CountersignError {
  declare readonly code: SignatureErrorCode
  constructor(code: SignatureErrorCode, message?: string, options?: CountersignErrorOptions) {
    super(code, message, options)
    this.name = 'SignatureError'
  }
}

/** A token is missing, malformed, expired or revoked. */
export class TokenError extends CountersignError {
  declare readonly code: TokenErrorCode
  constructor(code: TokenErrorCode, message?: string, options?: CountersignErrorOptions) {
    super(code, message, options)
    this.name = 'TokenError'
  }
}

/** The caller is not authenticated, or not allowed to do this. */
export class AuthError extends CountersignError {
  declare readonly code: AuthErrorCode
  constructor(code: AuthErrorCode, message?: string, options?: CountersignErrorOptions) {
    super(code, message, options)
    this.name = 'AuthError'
  }
}

/** A rate limit was reached. `retryAfterMs` says when the next call may pass. */
export class RateLimitError extends CountersignError {
  declare readonly code: 'rate_limited'
  /** Milliseconds until the window lets another call through. */
  readonly retryAfterMs: number
  constructor(retryAfterMs: number, message?: string, options?: CountersignErrorOptions) {
    super('rate_limited', message, { retryable: true, ...options })
    this.name = 'RateLimitError'
    this.retryAfterMs = retryAfterMs
  }
}

/** A store (memory, SQLite, Redis) failed. Countersign fails closed: the request is refused. */
export class StoreError extends CountersignError {
  declare readonly code: StoreErrorCode
  constructor(code: StoreErrorCode, message?: string, options?: CountersignErrorOptions) {
    super(code, message, { retryable: true, ...options })
    this.name = 'StoreError'
  }
}

/** The relay could not get an acceptable answer from the upstream API. */
export class UpstreamError extends CountersignError {
  declare readonly code: UpstreamErrorCode
  constructor(code: UpstreamErrorCode, message?: string, options?: CountersignErrorOptions) {
    super(code, message, options)
    this.name = 'UpstreamError'
  }
}

/** A client-side transport failure: the network, a timeout, or an abort. */
export class ClientError extends CountersignError {
  declare readonly code: ClientErrorCode
  constructor(code: ClientErrorCode, message?: string, options?: CountersignErrorOptions) {
    super(code, message, options)
    this.name = 'ClientError'
  }
}

/**
 * Whether `value` is a Countersign error, optionally with the given code. Works across duplicate
 * copies of the package, where `instanceof` fails, by checking the code against the known table.
 */
export function isCountersignError(value: unknown, code?: ErrorCode): value is CountersignError {
  if (!(value instanceof Error) || !('code' in value) || !('status' in value)) {
    return false
  }
  const actual = value.code
  if (typeof actual !== 'string' || !Object.hasOwn(ERROR_CODES, actual)) {
    return false
  }
  return code === undefined || actual === code
}
