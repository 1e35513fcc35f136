/**
 * Node I/O shared by the `node:http`, Express and Fastify adapters, on top of
 * `@countersign/node-server` (raw field lines, the capped body read): the checked body read,
 * the `checkContinue` guard and answers on a raw `ServerResponse`. Never exported.
 *
 * @module
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { RequestError } from '@countersign/core'
import { fieldLinesOf, readNodeBody } from '@countersign/node-server'
import type { Target } from '../../create-verifier.ts'
import type { AdapterCore, Answer } from '../../internal/adapter.ts'
import { addContinueGuard, type ContinueServer } from '../../internal/continue-guard.ts'
import { type Fields, fieldsFrom } from '../../internal/fields.ts'

/** Options of the `checkContinue` guard. */
export interface CheckContinueOptions {
  /**
   * Which requests this guard decides for; others get `100 Continue` as Node would send it.
   * Default: every request.
   */
  match?: (req: IncomingMessage) => boolean
}

/** Reads a byte stream to its end with a cap (the Fastify adapter's payload). */
export { fieldLinesOf, readNodeBody as readStream }

/** Whether the request announces a body (before reading it). */
export function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined
}

/**
 * Reads the whole body of `req`, refusing more than `maxBytes`.
 *
 * @throws RequestError `body_too_large` past the cap (a declared `Content-Length` over the cap is
 *   refused before reading), `malformed` when the client aborts; `TypeError` when something
 *   already read the stream.
 */
export function readIncomingBody(
  req: IncomingMessage,
  maxBytes: number,
  contentLength: string | null = null,
): Promise<Uint8Array> {
  if (req.readableDidRead || req.readableEnded) {
    return Promise.reject(
      new TypeError(
        'the request body was already read (by a body parser?): mount countersign() before it',
      ),
    )
  }
  if (contentLength !== null) {
    const declared = Number(contentLength)
    if (Number.isFinite(declared) && declared > maxBytes) {
      return Promise.reject(
        new RequestError('body_too_large', `the body is larger than ${maxBytes} bytes`),
      )
    }
  }
  return readNodeBody(req, maxBytes)
}

/** Sends an answer on a raw `ServerResponse`; closes the connection when the body is unread. */
export function sendAnswer(res: ServerResponse, answer: Answer, bodyUnread: boolean): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const headers: Record<string, string | number> = {
    ...answer.headers,
    'content-length': Buffer.byteLength(answer.body),
  }
  if (bodyUnread) {
    headers.connection = 'close'
  }
  res.writeHead(answer.status, headers)
  res.end(answer.body)
}

/** The request target and fields of `req`, checked (duplicates, target form, origin). */
export function requestParts(
  core: AdapterCore,
  req: IncomingMessage,
  rawTarget: string | undefined = req.url,
): { fields: Fields; target: Target } {
  const fields = fieldsFrom(fieldLinesOf(req))
  const target = core.target(req.method ?? 'GET', rawTarget ?? '', fields)
  return { fields, target }
}

/** Registers the `checkContinue` listener of {@link NodeCountersign.checkContinue}. */
export function guardContinue(
  core: AdapterCore,
  server: Server,
  options: CheckContinueOptions = {},
): void {
  addContinueGuard(core, server as unknown as ContinueServer, options?.match as never)
}
