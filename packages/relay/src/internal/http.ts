/**
 * HTTP helpers of the relay handler: RFC 9457 problem answers, capped body reads and media
 * types.
 *
 * @internal
 * @module
 */
import {
  type CountersignError,
  internalProblem,
  isCountersignError,
  RequestError,
  readCapped,
} from '@countersign/core'
import { type RelayAnswer, toResponse } from './relay-answer.ts'

/** Headers on every answer the relay makes itself. */
export const BASE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
})

const INTERNAL_PROBLEM = internalProblem()

/** Converts anything thrown into a Countersign error, or `undefined` for an unexpected error. */
export function asCountersignError(error: unknown): CountersignError | undefined {
  return isCountersignError(error) ? error : undefined
}

/** The problem+json body for an error (a generic 500 for anything that is not coded). */
export function problemBody(error: unknown): Record<string, unknown> {
  const coded = asCountersignError(error)
  return coded === undefined ? { ...INTERNAL_PROBLEM } : { ...coded.toProblem() }
}

/** An RFC 9457 answer for `error`, with extra headers. */
export function problemAnswer(error: unknown, headers: Record<string, string> = {}): RelayAnswer {
  const body = problemBody(error)
  return {
    status: body.status as number,
    headers: { ...BASE_HEADERS, 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify(body),
  }
}

/** An RFC 9457 `Response` for `error`, with extra headers. */
export function problemResponse(error: unknown, headers: Record<string, string> = {}): Response {
  return toResponse(problemAnswer(error, headers))
}

/** A JSON answer. */
export function jsonAnswer(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): RelayAnswer {
  return {
    status,
    headers: { ...BASE_HEADERS, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }
}

const CONTENT_LENGTH = /^\d{1,15}$/

/**
 * Reads a request body up to `maxBytes`, refusing a larger `Content-Length` before reading and
 * stopping as soon as the stream passes the cap.
 *
 * @throws {@link @countersign/core!RequestError} `body_too_large` (413) past the cap; `malformed` for a bad
 *   `Content-Length` or a broken stream.
 */
export async function readCappedBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const length = request.headers.get('content-length')
  if (length !== null) {
    if (!CONTENT_LENGTH.test(length)) {
      throw new RequestError('malformed', 'invalid Content-Length')
    }
    if (Number(length) > maxBytes) {
      throw new RequestError('body_too_large', `the body is larger than ${maxBytes} bytes`)
    }
  }
  if (request.body === null) {
    return new Uint8Array(0)
  }
  if (request.bodyUsed) {
    throw new RequestError('malformed', 'the request body was already read')
  }
  let bytes: Uint8Array | undefined
  try {
    bytes = await readCapped(request.body, maxBytes)
  } catch {
    throw new RequestError('malformed', 'could not read the request body')
  }
  if (bytes === undefined) {
    throw new RequestError('body_too_large', `the body is larger than ${maxBytes} bytes`)
  }
  return bytes
}

/** A parsed `Content-Type`: the lowercased essence and its parameters (lowercased names). */
export interface MediaType {
  essence: string
  params: Map<string, string>
}

/** Parses a `Content-Type` value leniently (RFC 9110 §8.3.1); `undefined` when absent or empty. */
export function parseMediaType(value: string | null): MediaType | undefined {
  if (value === null) {
    return undefined
  }
  const [head = '', ...rest] = value.split(';')
  const essence = head.trim().toLowerCase()
  if (essence.length === 0) {
    return undefined
  }
  const params = new Map<string, string>()
  for (const part of rest) {
    const eq = part.indexOf('=')
    if (eq === -1) {
      continue
    }
    const name = part.slice(0, eq).trim().toLowerCase()
    let v = part.slice(eq + 1).trim()
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
      v = v.slice(1, -1)
    }
    params.set(name, v)
  }
  return { essence, params }
}
