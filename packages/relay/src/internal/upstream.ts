/**
 * One forwarded request with `undici.request` on the guarded agent: no redirects followed
 * (a 3xx is `upstream_error`), one deadline over connect, headers and body, and the answer
 * streamed into a capped buffer (`upstream_too_large` past the cap). Node only.
 *
 * @internal
 * @module
 */
import { isCountersignError, UpstreamError } from '@countersign/core'
import { type Dispatcher, request } from 'undici'

/** What the upstream answered. */
export interface UpstreamAnswer {
  /** The status (200-599, never 3xx). */
  status: number
  /** The `Content-Type`, when it sent one. */
  contentType: string | undefined
  /** The body, at most the cap. */
  body: Uint8Array
}

/** Limits of one forwarded request. */
export interface UpstreamLimits {
  /** The deadline over connect, headers and body, in milliseconds. */
  timeoutMs: number
  /** The largest answer body, in bytes. */
  maxBodyBytes: number
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
])
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
])
const CONTENT_TYPE = /^[\x20-\x7e]{1,256}$/

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined
  }
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    return code
  }
  // net.connect with autoSelectFamily fails with an AggregateError of per-address errors.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = codeOf(inner)
      if (innerCode !== undefined) {
        return innerCode
      }
    }
  }
  return undefined
}

/**
 * Abandons a response body. undici's body stream emits an `AbortError` when destroyed without
 * a reason; with no listener that would be an uncaught exception, so one is attached first.
 */
function discard(stream: Dispatcher.ResponseData['body']): void {
  stream.on('error', () => undefined)
  stream.destroy()
}

/** Maps a transport failure to a Countersign error. */
function classify(error: unknown, timedOut: boolean, phase: 'connect' | 'body'): Error {
  if (isCountersignError(error)) {
    return error
  }
  if (timedOut) {
    return new UpstreamError('upstream_timeout', 'the target did not answer in time')
  }
  const code = codeOf(error)
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new UpstreamError('upstream_timeout', 'the target did not answer in time')
  }
  if (
    phase === 'connect' &&
    code !== undefined &&
    (UNREACHABLE_CODES.has(code) || code.startsWith('ERR_TLS') || code.includes('CERT'))
  ) {
    return new UpstreamError('upstream_unreachable', 'could not connect to the target')
  }
  return new UpstreamError(
    'upstream_error',
    'the target answered with something the relay cannot pass on',
  )
}

/**
 * POSTs `body` to `url` through `dispatcher` and reads the answer within the limits.
 *
 * @throws {@link @countersign/core!AuthError} `target_forbidden` from the guarded agent (a refused address);
 *   {@link @countersign/core!UpstreamError} `upstream_unreachable`, `upstream_timeout`, `upstream_too_large` or
 *   `upstream_error`.
 */
export async function postUpstream(
  dispatcher: Dispatcher,
  url: URL,
  headers: Record<string, string>,
  body: Uint8Array,
  limits: UpstreamLimits,
): Promise<UpstreamAnswer> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, limits.timeoutMs)
  try {
    let response: Dispatcher.ResponseData
    try {
      response = await request(url, {
        dispatcher,
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
        headersTimeout: limits.timeoutMs,
        bodyTimeout: limits.timeoutMs,
        // No redirect interceptor is composed on the dispatcher, so a 3xx is returned as is
        // (undici 8 dropped the per-request maxRedirections option; 0 was its default).
      })
    } catch (error) {
      throw classify(error, timedOut, 'connect')
    }
    const { statusCode, body: stream } = response
    if (statusCode < 200 || statusCode > 599 || (statusCode >= 300 && statusCode < 400)) {
      discard(stream)
      throw new UpstreamError(
        'upstream_error',
        statusCode >= 300 && statusCode < 400
          ? 'the target answered with a redirect, which the relay does not follow'
          : 'the target answered with an invalid status',
      )
    }
    const encoding = response.headers['content-encoding']
    if (encoding !== undefined && String(encoding).trim().toLowerCase() !== 'identity') {
      discard(stream)
      throw new UpstreamError(
        'upstream_error',
        'the target answered with a content-encoding although the relay asked for identity',
      )
    }
    const declared = response.headers['content-length']
    if (
      typeof declared === 'string' &&
      /^\d+$/.test(declared) &&
      Number(declared) > limits.maxBodyBytes
    ) {
      discard(stream)
      throw new UpstreamError(
        'upstream_too_large',
        `the target's answer is larger than ${limits.maxBodyBytes} bytes`,
      )
    }
    const chunks: Uint8Array[] = []
    let total = 0
    try {
      for await (const chunk of stream as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength
        if (total > limits.maxBodyBytes) {
          discard(stream)
          throw new UpstreamError(
            'upstream_too_large',
            `the target's answer is larger than ${limits.maxBodyBytes} bytes`,
          )
        }
        chunks.push(chunk)
      }
    } catch (error) {
      discard(stream)
      throw classify(error, timedOut, 'body')
    }
    const out = new Uint8Array(total)
    let offset = 0
    for (const chunk of chunks) {
      out.set(chunk, offset)
      offset += chunk.byteLength
    }
    const type = response.headers['content-type']
    return {
      status: statusCode,
      contentType: typeof type === 'string' && CONTENT_TYPE.test(type) ? type : undefined,
      body: out,
    }
  } finally {
    clearTimeout(timer)
  }
}
