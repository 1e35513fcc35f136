/**
 * `@countersign/verifier/node`: verify signed requests on `node:http` (and anything built on it).
 *
 * Node parses a request in ways that matter for signatures, and this adapter handles each:
 * - Node keeps only the first of duplicate `Host`, `Content-Type` or `Authorization` lines in
 *   `req.headers`; the adapter reads `req.rawHeaders` instead, so a second `Host`,
 *   `Content-Type`, `Authorization`, `Signature`, `Signature-Input` or `Content-Digest` line is
 *   refused (`duplicate_header`) and components are read from the lines as sent.
 * - An absolute-form request line (`POST http://127.0.0.1:6379/x`) arrives as `req.url` = that
 *   URL; the adapter builds the URL from the configured `origin` and refuses a target on another
 *   origin. The client's `Host` alone is never trusted to say which origin was signed for.
 * - Node answers `100 Continue` to any `Expect: 100-continue` unless the server has a
 *   `checkContinue` listener; {@link NodeCountersign.checkContinue} installs one that continues
 *   only signed, well-formed requests within the body cap.
 * - The body is read once, with a hard cap (`maxBodyBytes`, default 1 MiB; a larger declared
 *   `Content-Length` is refused before reading).
 *
 * @module
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { type FieldLine, RequestError } from '@countersign/core'
import { webRequestOf } from '@countersign/node-server'
import { type AdapterCore, createAdapterCore, INTERNAL_ANSWER } from '../internal/adapter.ts'
import type { ReceivedRequest, VerifiedRequest, VerifyRequestOptions } from '../types.ts'
import {
  announcesBody,
  type CheckContinueOptions,
  guardContinue,
  readIncomingBody,
  requestParts,
  sendAnswer,
} from './internal/node-io.ts'

export type { CheckContinueOptions } from './internal/node-io.ts'
export { fieldLinesOf } from './internal/node-io.ts'

declare module 'node:http' {
  interface IncomingMessage {
    /** What the request's verified signature proved, set by a Countersign adapter. */
    countersign?: VerifiedRequest
  }
}

/** Options of {@link countersign}: the verifier's options plus where requests are addressed. */
export interface NodeCountersignOptions extends Omit<VerifyRequestOptions, 'fieldLines'> {
  /**
   * The public origin clients sign for, e.g. `'https://api.example.com'` (behind a TLS proxy
   * too), or several; with several, the request's `Host` picks one of them. Required: the
   * request URL is built from it, never from the client's `Host` alone.
   */
  origin: string | readonly string[]
  /** Called with an error that is not a Countersign refusal (a bug), before the 500 answer. */
  onError?: (error: unknown) => void
}

/** Options of {@link toWebRequest} and {@link readRequestMessage}. */
export interface ReadRequestOptions {
  /** The public origin, as in {@link NodeCountersignOptions.origin}. */
  origin: string | readonly string[]
  /** The largest body read, in bytes. Default 1 MiB; larger is `body_too_large` (413). */
  maxBodyBytes?: number
}

/** A `node:http` request as received: plain parts with its raw field lines. */
export interface NodeRequestMessage extends ReceivedRequest {
  /** The field lines exactly as received (`req.rawHeaders` in pairs). */
  headers: FieldLine[]
  /** The body bytes (empty when there was none). */
  body: Uint8Array
}

/**
 * The `node:http` middleware from {@link countersign}. Call it from a request listener (it
 * resolves to what the signature proved, or `undefined` after answering a refusal), or use it
 * connect-style with `next`.
 */
export interface NodeCountersign {
  (
    req: IncomingMessage,
    res: ServerResponse,
    next?: (error?: unknown) => void,
  ): Promise<VerifiedRequest | undefined>
  /**
   * Registers a `checkContinue` listener on `server`: a request with `Expect: 100-continue` gets
   * `100 Continue` only when it is signed, its signature fields parse and its declared body is
   * within the cap; otherwise it gets its 4xx at once and the body is never sent. Then the
   * request goes to the server's `request` listeners as usual.
   */
  checkContinue(server: Server, options?: CheckContinueOptions): void
}

/**
 * Reads a `node:http` request into plain parts for {@link @countersign/verifier!Verifier.verifyMessage}: method, URL
 * (from `origin` and the request target), the raw field lines and the body bytes (capped). No
 * Fetch `Request` is built.
 *
 * @example
 * ```ts
 * const message = await readRequestMessage(req, { origin: 'https://api.example.com' })
 * const verified = await verifier.verifyMessage(message)
 * ```
 *
 * @throws RequestError `malformed` (a bad request target or one on another origin, an aborted
 *   body), `duplicate_header`, `body_too_large`; `TypeError` for invalid options or a body
 *   already read.
 */
export async function readRequestMessage(
  req: IncomingMessage,
  options: ReadRequestOptions,
): Promise<NodeRequestMessage> {
  const core = readerCore(options)
  const { fields, target } = requestParts(core, req)
  const body = await readIncomingBody(req, core.maxBodyBytes, fields.get('content-length'))
  return {
    method: target.method,
    url: target.url,
    headers: fields.source as FieldLine[],
    body,
    ...(target.requestTarget === undefined ? {} : { requestTarget: target.requestTarget }),
  }
}

const readerCores = new WeakMap<object, AdapterCore>()

function readerCore(options: ReadRequestOptions): AdapterCore {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object with origin')
  }
  let core = readerCores.get(options)
  if (core === undefined) {
    const { origin, maxBodyBytes } = options
    core = createAdapterCore(
      {
        origin,
        keys: () => undefined,
        ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
      },
      'readRequestMessage',
      [],
      true,
    ).core
    readerCores.set(options, core)
  }
  return core
}

/**
 * Converts a `node:http` request into a Web `Request` (for Web-standard handlers), with the raw
 * field lines to pass as `fieldLines` so duplicates are caught exactly. The URL comes from
 * `origin`; the body is read with a cap.
 *
 * @example
 * ```ts
 * const { request, fieldLines } = await toWebRequest(req, { origin: 'https://api.example.com' })
 * const verified = await verifier.verifyRequest(request, { fieldLines })
 * ```
 *
 * @throws as {@link readRequestMessage}; RequestError `malformed` when a field cannot be
 *   represented in `Headers`, or a `GET`/`HEAD` carries a body.
 */
export async function toWebRequest(
  req: IncomingMessage,
  options: ReadRequestOptions,
): Promise<{ request: Request; fieldLines: FieldLine[] }> {
  const message = await readRequestMessage(req, options)
  const { method, body } = message
  if (body.length > 0 && (method === 'GET' || method === 'HEAD')) {
    throw new RequestError('malformed', `a ${method} request cannot carry a body here`)
  }
  const request = webRequestOf(method, String(message.url), message.headers, body)
  if (request instanceof RequestError) {
    throw request
  }
  return { request, fieldLines: message.headers }
}

/**
 * Creates `node:http` middleware that verifies each request's RFC 9421 signature (as
 * {@link @countersign/verifier!Verifier.verifyRequest} does) and answers refusals itself: 400 (malformed, duplicate
 * header, unsupported component), 401 (not verified, with `Accept-Signature`), 413 (body too
 * large) or 503 (nonce store or key resolver down), as `application/problem+json` with `type`,
 * `title`, `status` and `code` only. On success it sets `req.countersign` and calls `next` (if
 * given); the verified body bytes are `req.countersign.body` (the stream has been read).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { countersign } from '@countersign/verifier/node'
 *
 * const verify = countersign({ keys, origin: 'https://api.example.com' })
 * const server = createServer(async (req, res) => {
 *   const verified = await verify(req, res)
 *   if (verified === undefined) return // refused and answered
 *   res.end(`hello ${verified.keyId}`)
 * })
 * verify.checkContinue(server) // answer Expect: 100-continue only for signed requests
 * ```
 *
 * @throws `TypeError` when an option is invalid or `origin` is missing.
 */
export function countersign(options: NodeCountersignOptions): NodeCountersign {
  const { core, extras } = createAdapterCore(options, 'countersign', ['onError'], true)
  const onError = extras.onError
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError('countersign: onError must be a function')
  }
  const middleware = async (
    req: IncomingMessage,
    res: ServerResponse,
    next?: (error?: unknown) => void,
  ): Promise<VerifiedRequest | undefined> => {
    let bodyRead = false
    let hasBody = announcesBody(req)
    let hasType = false
    let verified: VerifiedRequest
    try {
      const { fields, target } = requestParts(core, req)
      hasType = fields.get('content-type') !== null
      const prepared = core.prepare(fields)
      const body = await readIncomingBody(req, core.maxBodyBytes, fields.get('content-length'))
      bodyRead = true
      hasBody = body.length > 0
      verified = await core.complete(prepared, target, body)
    } catch (error) {
      const answer = core.answer(error, hasBody, hasType)
      if (answer === undefined && next !== undefined) {
        next(error)
        return undefined
      }
      if (answer === undefined) {
        ;(onError as ((error: unknown) => void) | undefined)?.(error)
      }
      sendAnswer(res, answer ?? INTERNAL_ANSWER, !bodyRead)
      return undefined
    }
    req.countersign = verified
    next?.()
    return verified
  }
  return Object.assign(middleware, {
    checkContinue(server: Server, continueOptions?: CheckContinueOptions): void {
      guardContinue(core, server, continueOptions)
    },
  })
}
