/**
 * One forwarded request dispatched on the guarded agent (undici's handler API, without the
 * per-request stream of `undici.request`): no redirects followed (a 3xx is `upstream_error`),
 * one deadline over connect, headers and body, and the answer collected into a capped buffer
 * (`upstream_too_large` past the cap, checked on `Content-Length` first). Node only.
 *
 * @internal
 * @module
 */
import { isCountersignError, UpstreamError } from '@countersign/core'
import type { Dispatcher } from 'undici'

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

const TOO_LARGE = (max: number): UpstreamError =>
  new UpstreamError('upstream_too_large', `the target's answer is larger than ${max} bytes`)

/**
 * Collects one answer straight from undici's dispatch callbacks (no response stream, async
 * iterator or abort signal per request) and settles once: with the answer, or with the first
 * failure, after which the request is aborted and later callbacks are ignored.
 */
class AnswerCollector implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined
  private settled = false
  private started = false
  private timedOut = false
  private status = 0
  private contentType: string | undefined
  private readonly chunks: Uint8Array[] = []
  private total = 0
  private readonly timer: ReturnType<typeof setTimeout>
  private readonly limits: UpstreamLimits
  private readonly resolve: (answer: UpstreamAnswer) => void
  private readonly reject: (error: Error) => void

  constructor(
    limits: UpstreamLimits,
    resolve: (answer: UpstreamAnswer) => void,
    reject: (error: Error) => void,
  ) {
    this.limits = limits
    this.resolve = resolve
    this.reject = reject
    this.timer = setTimeout(() => {
      this.timedOut = true
      this.fail(new UpstreamError('upstream_timeout', 'the target did not answer in time'))
    }, limits.timeoutMs)
  }

  private fail(error: Error): void {
    if (this.settled) {
      return
    }
    this.settled = true
    clearTimeout(this.timer)
    this.reject(error)
    if (this.controller !== undefined && !this.controller.aborted) {
      this.controller.abort(error)
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.settled) {
      controller.abort(new UpstreamError('upstream_timeout', 'the target did not answer in time'))
    }
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.controller = controller
    if (this.settled || statusCode < 200) {
      return
    }
    this.started = true
    if (statusCode > 599 || (statusCode >= 300 && statusCode < 400)) {
      this.fail(
        new UpstreamError(
          'upstream_error',
          statusCode >= 300 && statusCode < 400
            ? 'the target answered with a redirect, which the relay does not follow'
            : 'the target answered with an invalid status',
        ),
      )
      return
    }
    const encoding = headers['content-encoding']
    if (encoding !== undefined && String(encoding).trim().toLowerCase() !== 'identity') {
      this.fail(
        new UpstreamError(
          'upstream_error',
          'the target answered with a content-encoding although the relay asked for identity',
        ),
      )
      return
    }
    const declared = headers['content-length']
    if (
      typeof declared === 'string' &&
      /^\d+$/.test(declared) &&
      Number(declared) > this.limits.maxBodyBytes
    ) {
      this.fail(TOO_LARGE(this.limits.maxBodyBytes))
      return
    }
    const type = headers['content-type']
    this.status = statusCode
    this.contentType = typeof type === 'string' && CONTENT_TYPE.test(type) ? type : undefined
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) {
      return
    }
    this.total += chunk.byteLength
    if (this.total > this.limits.maxBodyBytes) {
      this.fail(TOO_LARGE(this.limits.maxBodyBytes))
      return
    }
    this.chunks.push(chunk)
  }

  onResponseEnd(): void {
    if (this.settled) {
      return
    }
    if (!this.started) {
      this.fail(new UpstreamError('upstream_error', 'the target answered with an invalid status'))
      return
    }
    this.settled = true
    clearTimeout(this.timer)
    const { chunks, total } = this
    let body: Uint8Array
    if (chunks.length === 1) {
      body = chunks[0] as Uint8Array
    } else {
      body = new Uint8Array(total)
      let offset = 0
      for (const chunk of chunks) {
        body.set(chunk, offset)
        offset += chunk.byteLength
      }
    }
    this.resolve({ status: this.status, contentType: this.contentType, body })
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.fail(classify(error, this.timedOut, this.started ? 'body' : 'connect'))
  }
}

/**
 * POSTs `body` to `url` through `dispatcher` and reads the answer within the limits.
 *
 * @throws {@link @countersign/core!AuthError} `target_forbidden` from the guarded agent (a refused address);
 *   {@link @countersign/core!UpstreamError} `upstream_unreachable`, `upstream_timeout`, `upstream_too_large` or
 *   `upstream_error`.
 */
export function postUpstream(
  dispatcher: Dispatcher,
  url: URL,
  headers: Record<string, string>,
  body: Uint8Array,
  limits: UpstreamLimits,
): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const collector = new AnswerCollector(limits, resolve, reject)
    try {
      dispatcher.dispatch(
        {
          origin: url.origin,
          path: url.pathname + url.search,
          method: 'POST',
          headers,
          body,
          headersTimeout: limits.timeoutMs,
          bodyTimeout: limits.timeoutMs,
          // No redirect interceptor is composed on the dispatcher, so a 3xx reaches the
          // collector as is (and is refused there).
        },
        collector,
      )
    } catch (error) {
      collector.onResponseError(null, error as Error)
    }
  })
}
