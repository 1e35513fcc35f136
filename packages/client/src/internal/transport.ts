/**
 * Sending with a deadline, an `AbortSignal`, retries with backoff and jitter, and a hook for one
 * immediate resend (a re-signed request, a refreshed token).
 *
 * @internal
 * @module
 */
import { ClientError } from '@countersign/core'
import type { FetchFunction, RetryOptions } from '../types.ts'

/** A checked retry policy. */
export interface RetryPolicy {
  retries: number
  baseDelayMs: number
  maxDelayMs: number
}

/** Methods retried after a network error or a 503. */
export const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

const MAX_TIMER_MS = 2_147_483_647
const TIMEOUT = Symbol('timeout')
const ABORTED = Symbol('aborted')

function count(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}

/** Checks a timeout in milliseconds. */
export function checkTimeout(value: unknown, name: string): number {
  return count(value, name, 1, MAX_TIMER_MS)
}

/** Checks `retries` (a count or {@link RetryOptions}) into a policy. */
export function checkRetries(value: number | RetryOptions | undefined, name: string): RetryPolicy {
  if (value === undefined || typeof value === 'number') {
    return { retries: count(value ?? 2, name, 0, 10), baseDelayMs: 200, maxDelayMs: 5000 }
  }
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${name} must be a number or { retries, baseDelayMs, maxDelayMs }`)
  }
  return {
    retries: count(value.retries ?? 2, `${name}.retries`, 0, 10),
    baseDelayMs: count(value.baseDelayMs ?? 200, `${name}.baseDelayMs`, 0, 60_000),
    maxDelayMs: count(value.maxDelayMs ?? 5000, `${name}.maxDelayMs`, 0, 300_000),
  }
}

/** The delay before retry number `attempt + 1`: exponential, capped, with jitter (half to full). */
export function backoff(policy: RetryPolicy, attempt: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt)
  return cap / 2 + (Math.random() * cap) / 2
}

function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after')
  if (value === null) {
    return undefined
  }
  if (/^\d{1,6}$/.test(value.trim())) {
    return Number(value.trim()) * 1000
  }
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Settles with `promise`, or rejects with the signal's reason when it aborts first. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    return Promise.reject(signal.reason)
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** Options of {@link withDeadline}. */
export interface DeadlineOptions {
  signal: AbortSignal | undefined
  timeoutMs: number
  /** Keep the caller's signal wired after `run` settles (so it can abort a body being read). */
  keepSignal?: boolean
}

/**
 * Runs `run` with a signal that aborts when the caller's signal does or `timeoutMs` passes,
 * turning either into a `ClientError` (`request_aborted`, `request_timeout`).
 */
export async function withDeadline<T>(
  options: DeadlineOptions,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { signal: outer, timeoutMs } = options
  if (outer !== undefined && !(outer instanceof AbortSignal)) {
    throw new TypeError('signal must be an AbortSignal')
  }
  if (outer?.aborted) {
    throw new ClientError('request_aborted', 'the call was aborted')
  }
  const timer = new AbortController()
  const timeout = setTimeout(() => timer.abort(TIMEOUT), timeoutMs)
  // AbortSignal.any follows the caller's signal without a listener that outlives the call.
  let signal = timer.signal
  let onAbort: (() => void) | undefined
  if (outer !== undefined) {
    if (typeof AbortSignal.any === 'function') {
      signal = AbortSignal.any([outer, timer.signal])
    } else {
      onAbort = () => timer.abort(ABORTED)
      outer.addEventListener('abort', onAbort, { once: true })
    }
  }
  try {
    return await run(signal)
  } catch (error) {
    if (signal.aborted) {
      throw timer.signal.reason === TIMEOUT
        ? new ClientError('request_timeout', `no answer within ${timeoutMs} ms`, {
            retryable: true,
          })
        : new ClientError('request_aborted', 'the call was aborted')
    }
    throw error
  } finally {
    clearTimeout(timeout)
    if (onAbort !== undefined && options.keepSignal !== true) {
      outer?.removeEventListener('abort', onAbort)
    }
  }
}

/** Options of {@link send}. */
export interface SendOptions {
  fetch: FetchFunction
  /** Retries (for idempotent methods); `undefined` never retries. */
  retry: RetryPolicy | undefined
  /** Builds the request of one attempt, carrying `signal`. */
  build(signal: AbortSignal): Promise<Request>
  /** Looks at an answer; `true` sends once more at once (the hook allows this only once). */
  again?(response: Response): Promise<boolean>
}

/**
 * Sends until an answer to keep: retries network errors and 503s when a policy is given, and
 * resends when `again` asks. Must run inside {@link withDeadline}.
 *
 * @throws `ClientError` `network_error` when no answer arrived.
 */
export async function send(options: SendOptions, signal: AbortSignal): Promise<Response> {
  const { retry } = options
  let attempt = 0
  for (;;) {
    const request = await abortable(options.build(signal), signal)
    let response: Response
    try {
      response = await options.fetch(request)
    } catch (error) {
      if (signal.aborted) {
        throw error
      }
      if (retry !== undefined && attempt < retry.retries) {
        await sleep(backoff(retry, attempt++), signal)
        continue
      }
      throw new ClientError('network_error', 'the request failed before an answer arrived', {
        cause: error,
        retryable: true,
      })
    }
    if (response.status === 503 && retry !== undefined && attempt < retry.retries) {
      const wait = Math.min(retryAfterMs(response) ?? backoff(retry, attempt), retry.maxDelayMs)
      attempt++
      await response.body?.cancel().catch(() => undefined)
      await sleep(wait, signal)
      continue
    }
    if (options.again !== undefined && (await options.again(response))) {
      await response.body?.cancel().catch(() => undefined)
      continue
    }
    return response
  }
}
