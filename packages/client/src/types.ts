/**
 * Option and result types of `@countersign/client`.
 *
 * @module
 */
import type { ApiError } from './api-error.ts'
import type { RelayError } from './relay-error.ts'

/**
 * A session: the user token the relay checks, and optionally when it stops being valid.
 *
 * @example
 * ```ts
 * const session: Session = { token, expiresAt: Date.now() + 30 * 60_000 }
 * ```
 */
export interface Session {
  /** The user token, sent as `Authorization: Bearer <token>` to the relay. */
  token: string
  /**
   * When the token expires: a `Date` or milliseconds since the epoch (as `Date.now()`). A token
   * from a provider is refreshed `refreshBeforeMs` before this; a fixed token past it is not used.
   */
  expiresAt?: Date | number
}

/**
 * Fetches a fresh session, for example a user token from your backend or the token service.
 * The client caches what it returns and calls it again shortly before `expiresAt`; however many
 * calls wait for a token, only one call of the provider is in flight at a time.
 *
 * @example
 * ```ts
 * const provider: SessionProvider = async () => {
 *   const answer = await fetch('/api/login', { method: 'POST' }).then((r) => r.json())
 *   return { token: answer.access_token, expiresAt: answer.expires_at * 1000 }
 * }
 * ```
 */
export type SessionProvider = () => Session | Promise<Session>

/** What {@link Client.setSession} accepts: a token, a {@link Session}, or a {@link SessionProvider}. */
export type SessionInput = string | Session | SessionProvider

/**
 * Retries of idempotent calls (`GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE`) after a network error
 * or a `503`, with exponential backoff and jitter. Non-idempotent calls are never retried.
 *
 * @example
 * ```ts
 * const retries: RetryOptions = { retries: 3, baseDelayMs: 100, maxDelayMs: 2000 }
 * ```
 */
export interface RetryOptions {
  /** How many times to retry after the first attempt. Default 2; `0` turns retries off. */
  retries?: number
  /** The delay before the first retry, doubled for each further one. Default 200 ms. */
  baseDelayMs?: number
  /** The longest delay between two attempts (also caps `Retry-After`). Default 5000 ms. */
  maxDelayMs?: number
}

/**
 * What {@link Signing} functions get besides the request.
 *
 * @example
 * ```ts
 * const signing: Signing = async (request, { now }) => signWithMyScheme(request, new Date(now))
 * ```
 */
export interface SigningContext {
  /**
   * The servers' time in milliseconds since the epoch: this clock plus the client's learned
   * clock offset. Use it for timestamps in signatures.
   */
  now: number
}

/**
 * Signs one outgoing request of {@link Client.fetch} and returns the signed request. Made by
 * {@link rfc9421Signing}, {@link icypeasSigning} or {@link apiKeySigning}, or your own function.
 * It is called again for every attempt (retries and the clock-skew retry), so each attempt
 * gets a fresh timestamp and nonce.
 *
 * @example
 * ```ts
 * const client = createClient({ signing: rfc9421Signing({ key }) })
 * ```
 */
export type Signing = (request: Request, context: SigningContext) => Promise<Request>

/** The `fetch` the client sends with: called with one `Request`. */
export type FetchFunction = (request: Request) => Promise<Response>

/**
 * Options of {@link createClient}.
 *
 * @example
 * ```ts
 * const options: ClientOptions = { relayUrl: 'https://relay.example', timeoutMs: 10_000 }
 * ```
 */
export interface ClientOptions {
  /** The relay's base URL, e.g. `https://relay.example` (requests go to `/secure-request`). */
  relayUrl?: string
  /** The token service's base URL, for {@link Client.generateToken} and {@link Client.verifyToken}. */
  tokenServiceUrl?: string
  /**
   * The API key sent as `x-api-key` to the token service's `POST /generate`. A server-side
   * secret: never ship it to a browser.
   */
  apiKey?: string
  /** The initial session (see {@link Client.setSession}). */
  session?: SessionInput
  /**
   * How {@link Client.fetch} signs requests: {@link rfc9421Signing} (recommended),
   * {@link icypeasSigning} or {@link apiKeySigning}. Default: it does not sign. Signing lives in
   * these functions so that an app that never signs does not bundle the signer.
   */
  signing?: Signing
  /** The `fetch` to send with. Default `globalThis.fetch`, looked up at call time. */
  fetch?: FetchFunction
  /**
   * The time limit of every call, in milliseconds, including retries and a session refresh.
   * Default 30,000. For {@link Client.fetch} it runs until the response headers arrive.
   */
  timeoutMs?: number
  /** Retries of idempotent calls: a count or {@link RetryOptions}. Default 2 retries. */
  retries?: number | RetryOptions
  /** How long before `expiresAt` a provider's session is refreshed, in ms. Default 30,000. */
  refreshBeforeMs?: number
  /**
   * The offset of the servers' clock from this one, in ms, added to signature timestamps.
   * Default 0; learned from a server's `Date` header when it answers `signature_expired`.
   */
  clockOffsetMs?: number
}

/**
 * Per-call options: an `AbortSignal` and a time limit.
 *
 * @example
 * ```ts
 * await client.verifyToken(token, { signal: controller.signal, timeoutMs: 5000 })
 * ```
 */
export interface CallOptions {
  /** Aborts the call (`request_aborted`). */
  signal?: AbortSignal
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number
}

/**
 * Options of {@link Client.secureRequest}.
 *
 * @example
 * ```ts
 * const { status, data } = await client.secureRequest({ url, data }, { throwHttpErrors: false })
 * ```
 */
export interface SecureRequestOptions extends CallOptions {
  /**
   * Whether a non-2xx answer of your API rejects with an {@link ApiError} (default `true`).
   * With `false` every answer of your API resolves. Relay failures always reject.
   */
  throwHttpErrors?: boolean
}

/**
 * One request through the relay, as skapi's `secureRequest` takes it.
 *
 * @example
 * ```ts
 * const input: SecureRequestInput = { url: 'https://api.example.com/v1/orders', data: { id: 1 } }
 * ```
 */
export interface SecureRequestInput {
  /** Your API's URL; it must be registered as a target of the relay. */
  url: string
  /**
   * The data your API receives in `body.data`: JSON only (plain objects, arrays, strings, finite
   * numbers, booleans, `null`; a `Date` becomes its ISO string). Anything else (`FormData`,
   * `Blob`, a `Map`, a function, `BigInt`, `NaN`, a cycle) throws a `TypeError` before any call.
   * Default `null`.
   */
  data?: unknown
}

/**
 * Your API's answer, through the relay.
 *
 * @example
 * ```ts
 * const { status, data } = await client.secureRequest<{ ok: boolean }>({ url, data: {} })
 * ```
 */
export interface SecureResponse<T = unknown> {
  /** Your API's status. */
  status: number
  /** Your API's body: parsed JSON for a JSON content type, else text; `null` when empty. */
  data: T
  /** The answer's headers (cross-origin, only those the relay exposes). */
  headers: Headers
  /** The relay's request id (`x-request-id`), to find the call in its audit trail. */
  requestId?: string
}

/**
 * One item of a batch answer: `ok` is `true` exactly when your API answered 2xx. Otherwise
 * `error` says why: an {@link ApiError} (your API's own answer) or a {@link RelayError} (the
 * relay refused or failed this item).
 *
 * @example
 * ```ts
 * for (const item of await client.secureRequest([a, b])) {
 *   if (item.ok) use(item.data)
 *   else console.warn(item.error.code)
 * }
 * ```
 */
export type SecureBatchItem<T = unknown> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; data: unknown; error: ApiError | RelayError }

/**
 * The init of {@link Client.fetch}: a `RequestInit` plus per-call overrides.
 *
 * @example
 * ```ts
 * await client.fetch(url, { method: 'POST', body, signing: false, timeoutMs: 5000 })
 * ```
 */
export interface ClientFetchInit extends RequestInit {
  /** Signs this request this way instead (`false`: not at all). */
  signing?: Signing | false
  /** Overrides the client's `timeoutMs`. */
  timeoutMs?: number
  /** Overrides the client's `retries`. */
  retries?: number | RetryOptions
}

/**
 * A parameter token from the token service's Kudo-compatible `POST /generate`.
 *
 * @example
 * ```ts
 * const { token, expiresAt } = await client.generateToken({ file: 'plan.dwg' })
 * ```
 */
export interface GeneratedToken {
  /** The token, to pass to whoever may read the parameters. */
  token: string
  /** When it expires. */
  expiresAt: Date
}

/**
 * Options of {@link Client.generateToken}.
 *
 * @example
 * ```ts
 * await client.generateToken(params, { apiKey: partnerKey })
 * ```
 */
export interface GenerateTokenOptions extends CallOptions {
  /** The API key for this call (default: the client's `apiKey`). */
  apiKey?: string
}

/** A Countersign client from {@link createClient}. */
export interface Client {
  /**
   * Sends `{ url, data }` through the relay to your API as the logged-in user (skapi's
   * `secureRequest`). Resolves with your API's answer.
   *
   * @throws {@link AuthError} `not_logged_in` when there is no session, before any network call.
   * @throws {@link RelayError} when the relay refuses or fails (`not_logged_in`,
   *   `target_forbidden`, `upstream_unreachable`, `rate_limited`, …), and `upstream_error`
   *   when the relay answers a redirect: the session token is never sent on to another URL
   *   (nor is the token service's API key by `generateToken` and `verifyToken`).
   * @throws {@link ApiError} when your API answers non-2xx (unless `throwHttpErrors: false`).
   * @throws `ClientError` `network_error`, `request_timeout` or `request_aborted`.
   * @throws `TypeError` for a bad URL, non-JSON `data`, or no `relayUrl`.
   */
  secureRequest<T = unknown>(
    input: SecureRequestInput,
    options?: SecureRequestOptions,
  ): Promise<SecureResponse<T>>
  /**
   * Sends a batch in one call. Resolves with one {@link SecureBatchItem} per input, in order;
   * rejects only when the whole batch fails (no session, refused by the relay, network).
   */
  secureRequest<T = unknown>(
    input: readonly SecureRequestInput[],
    options?: CallOptions,
  ): Promise<SecureBatchItem<T>[]>
  /**
   * A `fetch` that signs each request as `signing` says, with a timeout, retries of idempotent
   * methods, and one re-signed retry when the server answers `401 signature_expired` with a
   * `Date` header (clock skew). Resolves with the server's `Response` whatever its status.
   *
   * Redirects of a signed request (`fetch` itself would carry custom credential headers such as
   * `x-api-key`, the Icypeas headers and `Signature` to any origin): a redirect to the same
   * origin is signed again for its new URL (a signature covers `@target-uri`), with the method
   * and body changed as `fetch` changes them (303, and 301/302 after a POST, become a GET
   * without a body); a redirect to another origin, `https:` to `http:` included, is refused, and
   * so is every redirect in a browser, which hides where a redirect goes. `redirect: 'manual'`
   * hands the redirect answer back instead. Unsigned calls (`signing: false`) follow redirects
   * as `fetch` does.
   *
   * @throws `ClientError` `network_error`, `request_timeout` or `request_aborted`;
   *   `network_error` (not retryable) for a refused redirect or more than 20 of them.
   */
  fetch(input: RequestInfo | URL, init?: ClientFetchInit): Promise<Response>
  /** Sets the session: a token, `{ token, expiresAt }`, or a provider that fetches one. */
  setSession(session: SessionInput): void
  /** Forgets the session. Calls waiting for a refresh then fail with `not_logged_in`. */
  clearSession(): void
  /**
   * The current session token, refreshed through the provider when due.
   *
   * @throws {@link AuthError} `not_logged_in` when there is no usable session.
   */
  getSessionToken(): Promise<string>
  /** Whether a session is set (it may still need a refresh). */
  readonly hasSession: boolean
  /** The learned offset of the servers' clock from this one, in ms. */
  readonly clockOffsetMs: number
  /**
   * Stores `params` behind a new parameter token at the token service (`POST /generate` with
   * `x-api-key`, Kudo-compatible).
   *
   * @throws `CountersignError` with the service's code (`api_key_invalid`, `forbidden`,
   *   `rate_limited`, …), or `ClientError` for transport failures.
   */
  generateToken(
    params: Record<string, unknown>,
    options?: GenerateTokenOptions,
  ): Promise<GeneratedToken>
  /**
   * Reads the parameters behind a token (`GET /verify` with `x-api-token`).
   *
   * @throws `TokenError` `token_invalid`, `token_expired`, `token_revoked` (and other
   *   `CountersignError`s), or `ClientError` for transport failures.
   */
  verifyToken<T = Record<string, unknown>>(token: string, options?: CallOptions): Promise<T>
}
