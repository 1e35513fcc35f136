/// <reference types="node" />
/**
 * Problem+json answers on a `ServerResponse`.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'
import { type CountersignError, internalProblem } from '@countersign/core'
import { annotateRequest } from './annotate-request.ts'

/**
 * Answers with an RFC 9457 problem (`application/problem+json`, `cache-control: no-store`) for
 * a coded error, or a bare 500 `internal_error` problem when `error` is `undefined`. With
 * `close`, asks the client to close the connection. When the head was already sent, the
 * socket is destroyed instead.
 *
 * @example
 * ```ts
 * sendProblem(res, new RequestError('body_too_large', 'body larger than 64 KiB'), true)
 * ```
 *
 * @throws never (a response whose head was sent is destroyed instead).
 */
export function sendProblem(
  res: ServerResponse,
  error: CountersignError | undefined,
  close = false,
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const problem = error === undefined ? internalProblem() : error.toProblem()
  annotateRequest({ code: problem.code })
  const body = JSON.stringify(problem)
  res.writeHead(problem.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
  })
  res.end(body)
}
