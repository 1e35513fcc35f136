/**
 * The Countersign client: `secureRequest` through the relay, a signing `fetch`, sessions that
 * refresh themselves, and the token service's parameter tokens. Web APIs only.
 *
 * @module
 */
import { AuthError, ClientError, type ErrorCode } from '@countersign/core'
import { ApiError } from './api-error.ts'
import { assertJson, isJsonType, parseBody } from './internal/json.ts'
import { asProblem, safeText, serviceError } from './internal/problem.ts'
import { type Hop, isRedirect, nextHop } from './internal/redirect.ts'
import { createSessionStore } from './internal/session.ts'
import {
  checkRetries,
  checkTimeout,
  IDEMPOTENT,
  type RetryPolicy,
  send,
  withDeadline,
} from './internal/transport.ts'
import { RelayError } from './relay-error.ts'
import type {
  CallOptions,
  Client,
  ClientFetchInit,
  ClientOptions,
  FetchFunction,
  GeneratedToken,
  GenerateTokenOptions,
  SecureBatchItem,
  SecureRequestInput,
  SecureRequestOptions,
  SecureResponse,
  Signing,
} from './types.ts'

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'relayUrl',
  'tokenServiceUrl',
  'apiKey',
  'session',
  'signing',
  'fetch',
  'timeoutMs',
  'retries',
  'refreshBeforeMs',
  'clockOffsetMs',
])
const HEADER_VALUE = /^[\x21-\x7e]{1,8192}$/
/** The `Date` header has whole seconds: a smaller change of the offset is noise. */
const CLOCK_RESOLUTION_MS = 1500
const JSON_ACCEPT = 'application/json, application/problem+json;q=0.9, */*;q=0.5'

function baseUrl(value: unknown, name: string): string | undefined {
  if (value === undefined) {
    return undefined
  }
  if (typeof value !== 'string' || value.length === 0 || /[?#\s]/.test(value)) {
    throw new TypeError(`${name} must be a base URL without query or fragment`)
  }
  return value.replace(/\/+$/, '')
}

function headerValue(value: unknown, name: string): string {
  if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
    throw new TypeError(`${name} must be 1 to 8192 visible ASCII characters`)
  }
  return value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkItem(item: unknown, what: string): { url: string; data: unknown } {
  if (!isRecord(item)) {
    throw new TypeError(`${what} must be an object { url, data }`)
  }
  for (const key of Object.keys(item)) {
    if (key !== 'url' && key !== 'data') {
      throw new TypeError(`${what} has an unknown field ${JSON.stringify(key.slice(0, 64))}`)
    }
  }
  const { url, data } = item as unknown as SecureRequestInput
  let parsed: URL | undefined
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new TypeError(`${what}.url must be an absolute http(s) URL`)
  }
  if (data === undefined) {
    return { url, data: null }
  }
  assertJson(data, `${what}.data`)
  return { url, data }
}

const REDIRECT_REFUSED = 'refused a redirect from the service'

/** A relay or token service never redirects: such an answer is refused, never followed. */
function refuseServiceRedirect(response: Response): void {
  if (isRedirect(response)) {
    throw serviceError('upstream_error', 'upstream_error', REDIRECT_REFUSED, response.status)
  }
}

/** The init of one attempt: its signal, and the buffered body when there is one. */
function withBody(signal: AbortSignal, body: Uint8Array<ArrayBuffer> | undefined): RequestInit {
  return body === undefined ? { signal } : { signal, body }
}

/** The request of a same-origin redirect hop, keeping the caller's fetch settings. */
function hopRequest(base: Request, hop: Hop, signal: AbortSignal): Request {
  return new Request(hop.url, {
    method: hop.method,
    headers: hop.headers,
    ...withBody(signal, hop.body),
    redirect: 'manual',
    credentials: base.credentials,
    mode: base.mode,
    referrerPolicy: base.referrerPolicy,
    keepalive: base.keepalive,
  })
}

/** Reads the Countersign code of an error answer: the `countersign-error` header or `code`. */
async function codeOf(response: Response): Promise<string | undefined> {
  const header = response.headers.get('countersign-error')
  if (header !== null) {
    return header
  }
  if (!isJsonType(response.headers.get('content-type'))) {
    return undefined
  }
  try {
    const body: unknown = await response.clone().json()
    return isRecord(body) && typeof body.code === 'string' ? body.code : undefined
  } catch {
    return undefined
  }
}

function retryAfter(headers: Headers): number | undefined {
  const value = headers.get('retry-after')
  return value !== null && /^\d{1,6}$/.test(value) ? Number(value) * 1000 : undefined
}

/** The error for a failed token-service answer. */
function tokenServiceError(response: Response, data: unknown, fallback: ErrorCode): Error {
  const problem = asProblem(data)
  const code =
    response.headers.get('countersign-error') ??
    problem?.code ??
    (response.status === 429
      ? 'rate_limited'
      : response.status === 401
        ? 'api_key_invalid'
        : response.status >= 500
          ? 'upstream_error'
          : undefined)
  const message =
    problem?.detail ??
    (isRecord(data) && typeof data.message === 'string' ? safeText(data.message) : undefined) ??
    `the token service answered ${response.status}`
  return serviceError(code, response.ok ? 'upstream_error' : fallback, message, response.status)
}

/**
 * Creates a client. Every option is optional: give `relayUrl` for
 * {@link Client.secureRequest}, `signing` for a signing {@link Client.fetch}, and
 * `tokenServiceUrl` (plus a server-side `apiKey`) for parameter tokens.
 *
 * @example
 * ```ts
 * import { createClient } from '@countersign/client'
 *
 * const client = createClient({
 *   relayUrl: 'https://relay.example',
 *   session: async () => {
 *     const r = await fetch('/api/session', { method: 'POST' }).then((res) => res.json())
 *     return { token: r.access_token, expiresAt: r.expires_at * 1000 }
 *   },
 * })
 * const { data } = await client.secureRequest({
 *   url: 'https://api.example.com/v1/orders',
 *   data: { item: 'book' },
 * })
 * ```
 *
 * @throws `TypeError` or `RangeError` for an invalid option (unknown option, bad URL, bad key).
 */
export function createClient(options: ClientOptions = {}): Client {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createClient options must be an object')
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new TypeError(`createClient: unknown option ${JSON.stringify(key.slice(0, 64))}`)
    }
  }
  const relayUrl = baseUrl(options.relayUrl, 'relayUrl')
  const tokenServiceUrl = baseUrl(options.tokenServiceUrl, 'tokenServiceUrl')
  const apiKey = options.apiKey === undefined ? undefined : headerValue(options.apiKey, 'apiKey')
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new TypeError('fetch must be a function')
  }
  const fetchFn: FetchFunction = options.fetch ?? ((request) => globalThis.fetch(request))
  const timeoutMs = checkTimeout(options.timeoutMs ?? 30_000, 'timeoutMs')
  const retry = checkRetries(options.retries, 'retries')
  const refreshBeforeMs = options.refreshBeforeMs ?? 30_000
  if (!Number.isInteger(refreshBeforeMs) || refreshBeforeMs < 0) {
    throw new RangeError('refreshBeforeMs must be a non-negative integer')
  }
  let clockOffsetMs = options.clockOffsetMs ?? 0
  if (typeof clockOffsetMs !== 'number' || !Number.isFinite(clockOffsetMs)) {
    throw new TypeError('clockOffsetMs must be a finite number')
  }
  const session = createSessionStore(refreshBeforeMs)
  if (options.session !== undefined) {
    session.set(options.session)
  }
  if (options.signing !== undefined && typeof options.signing !== 'function') {
    throw new TypeError('signing must be a Signing function such as rfc9421Signing({ key })')
  }
  const defaultSign = options.signing

  const callTimeout = (call: CallOptions | undefined): number =>
    call?.timeoutMs === undefined ? timeoutMs : checkTimeout(call.timeoutMs, 'timeoutMs')

  const requireUrl = (url: string | undefined, option: string, method: string): string => {
    if (url === undefined) {
      throw new TypeError(`${method} needs the ${option} option of createClient`)
    }
    return url
  }

  async function secureRequest(
    input: SecureRequestInput | readonly SecureRequestInput[],
    call: SecureRequestOptions = {},
  ): Promise<SecureResponse | SecureBatchItem[]> {
    const relay = requireUrl(relayUrl, 'relayUrl', 'secureRequest')
    const batch = Array.isArray(input)
    const items = batch ? (input as readonly unknown[]) : [input]
    if (batch && items.length === 0) {
      throw new TypeError('secureRequest: a batch needs at least one request')
    }
    const payload = items.map((item, i) => checkItem(item, batch ? `input[${i}]` : 'input'))
    const body = JSON.stringify(batch ? payload : payload[0])
    if (!session.active) {
      throw new AuthError('not_logged_in', 'no session: log in first')
    }
    const throwHttpErrors = call.throwHttpErrors ?? true
    const deadline = { signal: call.signal, timeoutMs: callTimeout(call) }
    return withDeadline(deadline, async (signal) => {
      let sentToken = ''
      let renewed = false
      const response = await send(
        {
          fetch: fetchFn,
          retry: undefined,
          async build(attemptSignal) {
            sentToken = await session.token()
            return new Request(`${relay}/secure-request`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${sentToken}`,
                'content-type': 'application/json',
                accept: JSON_ACCEPT,
              },
              body,
              signal: attemptSignal,
              credentials: 'omit',
              redirect: 'manual',
            })
          },
          async again(answer) {
            // The relay refused the token: a provider may have a newer one. Once.
            if (renewed || answer.status !== 401 || (await codeOf(answer)) !== 'not_logged_in') {
              return false
            }
            renewed = true
            return session.reject(sentToken)
          },
        },
        signal,
      )
      if (isRedirect(response)) {
        await response.body?.cancel().catch(() => undefined)
        throw new RelayError('upstream_error', response.status, REDIRECT_REFUSED, {})
      }
      const text = await response.text()
      const { headers, status } = response
      const requestId = headers.get('x-request-id') ?? undefined
      const data = parseBody(text, headers.get('content-type'))
      const problem = asProblem(data)
      const meta = {
        ...(requestId === undefined ? {} : { requestId }),
        ...(retryAfter(headers) === undefined ? {} : { retryAfterMs: retryAfter(headers) }),
      }
      if (problem !== undefined) {
        throw new RelayError(problem.code, status, problem.detail, meta)
      }
      if (!batch) {
        if (throwHttpErrors && (status < 200 || status > 299)) {
          throw new ApiError(status, data, headers, requestId)
        }
        return { status, data, headers, ...(requestId === undefined ? {} : { requestId }) }
      }
      if (status !== 200 || !Array.isArray(data) || data.length !== items.length) {
        throw new RelayError(
          'upstream_error',
          status,
          'the relay did not answer the batch with one result per request',
          meta,
        )
      }
      return data.map((entry: unknown, i): SecureBatchItem => {
        const itemStatus = isRecord(entry) && typeof entry.status === 'number' ? entry.status : 0
        const itemBody = isRecord(entry) ? (entry.body ?? null) : null
        const itemId = requestId === undefined ? undefined : `${requestId}.${i}`
        const itemProblem = asProblem(itemBody)
        if (itemProblem !== undefined || itemStatus === 0) {
          const error = new RelayError(
            itemProblem?.code ?? 'upstream_error',
            itemStatus,
            itemProblem?.detail ?? 'the relay answered this item without a status',
            itemId === undefined ? {} : { requestId: itemId },
          )
          return { ok: false, status: itemStatus, data: itemBody, error }
        }
        if (itemStatus < 200 || itemStatus > 299) {
          const error = new ApiError(itemStatus, itemBody, new Headers(), itemId)
          return { ok: false, status: itemStatus, data: itemBody, error }
        }
        return { ok: true, status: itemStatus, data: itemBody }
      })
    })
  }

  async function signedFetch(
    input: RequestInfo | URL,
    init: ClientFetchInit = {},
  ): Promise<Response> {
    const { signing, timeoutMs: callMs, retries, ...rest } = init
    if (signing !== undefined && signing !== false && typeof signing !== 'function') {
      throw new TypeError('init.signing must be a Signing function or false')
    }
    const sign = signing === false ? undefined : (signing ?? defaultSign)
    const base = new Request(input, rest)
    let policy: RetryPolicy | undefined
    if (IDEMPOTENT.has(base.method)) {
      policy = retries === undefined ? retry : checkRetries(retries, 'init.retries')
    }
    const deadline = {
      signal: base.signal,
      timeoutMs: callMs === undefined ? timeoutMs : checkTimeout(callMs, 'init.timeoutMs'),
      keepSignal: true,
    }
    return withDeadline(deadline, async (signal) => {
      const body = base.body === null ? undefined : new Uint8Array(await base.arrayBuffer())
      if (sign === undefined) {
        return send(
          {
            fetch: fetchFn,
            retry: policy,
            build: async (s) => new Request(base, withBody(s, body)),
          },
          signal,
        )
      }
      return sendSigned(base, body, sign, policy, signal)
    })
  }

  /**
   * Sends a signed request with `redirect: 'manual'`: a same-origin redirect is signed again for
   * its new URL, any other is refused (see `internal/redirect.ts`).
   */
  async function sendSigned(
    base: Request,
    body: Uint8Array<ArrayBuffer> | undefined,
    sign: Signing,
    policy: RetryPolicy | undefined,
    signal: AbortSignal,
  ): Promise<Response> {
    const skew = { resigned: false }
    let hop: Hop = { url: base.url, method: base.method, headers: base.headers, body }
    for (let count = 0; ; count++) {
      const current = hop
      const response = await send(
        {
          fetch: fetchFn,
          retry: policy,
          async build(attemptSignal) {
            const request =
              count === 0
                ? new Request(base, { ...withBody(attemptSignal, body), redirect: 'manual' })
                : hopRequest(base, current, attemptSignal)
            const signed = await sign(request, { now: Date.now() + clockOffsetMs })
            return signed.redirect === 'manual'
              ? signed
              : new Request(signed, { redirect: 'manual' })
          },
          again: (answer) => learnSkew(answer, skew),
        },
        signal,
      )
      if (!isRedirect(response) || base.redirect === 'manual') {
        return response
      }
      await response.body?.cancel().catch(() => undefined)
      if (base.redirect === 'error') {
        throw new ClientError('network_error', 'the server answered a redirect', {
          retryable: false,
        })
      }
      const next = nextHop(current, response, count)
      if (next === undefined) {
        return response
      }
      hop = next
    }
  }

  /** Clock skew: the server says the signature is stale and tells its time. Once per call. */
  async function learnSkew(answer: Response, skew: { resigned: boolean }): Promise<boolean> {
    if (skew.resigned || answer.status !== 401) {
      return false
    }
    const serverNow = Date.parse(answer.headers.get('date') ?? '')
    if (Number.isNaN(serverNow) || (await codeOf(answer)) !== 'signature_expired') {
      return false
    }
    skew.resigned = true
    // The Date header truncates to the second: take the middle of that second.
    const offset = serverNow + 500 - Date.now()
    if (Math.abs(offset - clockOffsetMs) >= CLOCK_RESOLUTION_MS) {
      clockOffsetMs = offset
    }
    return true
  }

  async function generateToken(
    params: Record<string, unknown>,
    call: GenerateTokenOptions = {},
  ): Promise<GeneratedToken> {
    const service = requireUrl(tokenServiceUrl, 'tokenServiceUrl', 'generateToken')
    const key = headerValue(call.apiKey ?? apiKey, 'apiKey')
    if (!isRecord(params)) {
      throw new TypeError('generateToken: params must be a plain object')
    }
    assertJson(params, 'params')
    const body = JSON.stringify(params)
    return withDeadline({ signal: call.signal, timeoutMs: callTimeout(call) }, async (signal) => {
      const response = await send(
        {
          fetch: fetchFn,
          retry: undefined,
          async build(attemptSignal) {
            return new Request(`${service}/generate`, {
              method: 'POST',
              headers: {
                'x-api-key': key,
                'content-type': 'application/json',
                accept: JSON_ACCEPT,
              },
              body,
              signal: attemptSignal,
              credentials: 'omit',
              redirect: 'manual',
            })
          },
        },
        signal,
      )
      refuseServiceRedirect(response)
      const data = parseBody(await response.text(), response.headers.get('content-type'))
      if (
        response.ok &&
        isRecord(data) &&
        typeof data.token === 'string' &&
        typeof data.expiration_time === 'number'
      ) {
        return { token: data.token, expiresAt: new Date(data.expiration_time * 1000) }
      }
      throw tokenServiceError(response, data, 'forbidden')
    })
  }

  async function verifyToken<T>(token: string, call: CallOptions = {}): Promise<T> {
    const service = requireUrl(tokenServiceUrl, 'tokenServiceUrl', 'verifyToken')
    const value = headerValue(token, 'token')
    return withDeadline({ signal: call.signal, timeoutMs: callTimeout(call) }, async (signal) => {
      const response = await send(
        {
          fetch: fetchFn,
          retry,
          async build(attemptSignal) {
            return new Request(`${service}/verify`, {
              headers: { 'x-api-token': value, accept: JSON_ACCEPT },
              signal: attemptSignal,
              credentials: 'omit',
              redirect: 'manual',
            })
          },
        },
        signal,
      )
      refuseServiceRedirect(response)
      const data = parseBody(await response.text(), response.headers.get('content-type'))
      if (response.ok && isRecord(data)) {
        return data as T
      }
      throw tokenServiceError(response, data, 'token_invalid')
    })
  }

  return {
    secureRequest: secureRequest as Client['secureRequest'],
    fetch: signedFetch,
    setSession(input) {
      if (input === undefined || input === null) {
        throw new TypeError('setSession needs a token, { token, expiresAt } or a provider')
      }
      session.set(input)
    },
    clearSession() {
      session.clear()
    },
    getSessionToken() {
      return session.token()
    },
    get hasSession() {
      return session.active
    },
    get clockOffsetMs() {
      return clockOffsetMs
    },
    generateToken,
    verifyToken,
  }
}
