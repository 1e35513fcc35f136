/**
 * `@countersign/verifier/express`: Express 5 middleware that verifies each request's RFC 9421
 * signature before any body parser runs.
 *
 * The middleware reads the raw body itself (the signature and `Content-Digest` cover the exact
 * bytes), so mount it **before** `express.json()` and friends, or instead of them: it sets
 * `req.body` from the verified bytes (parsed JSON for JSON media types by default). When a body
 * parser has already consumed the stream, the request cannot be verified and the middleware
 * passes a `TypeError` to `next` (a setup mistake, not a client error).
 *
 * @module
 */
import type { Server } from 'node:http'
import { parseJsonStrict } from '@countersign/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createAdapterCore } from '../internal/adapter.ts'
import type { VerifiedRequest, VerifyRequestOptions } from '../types.ts'
import {
  announcesBody,
  type CheckContinueOptions,
  guardContinue,
  readIncomingBody,
  requestParts,
  sendAnswer,
} from './internal/node-io.ts'

export type { CheckContinueOptions } from './internal/node-io.ts'

declare module 'node:http' {
  interface IncomingMessage {
    /** What the request's verified signature proved, set by a Countersign adapter. */
    countersign?: VerifiedRequest
  }
}

/** What the middleware puts in `req.body` after verification. */
export type ExpressBodyMode = 'json' | 'buffer' | 'none'

/** Options of {@link countersign}: the verifier's options plus the origin and body handling. */
export interface ExpressCountersignOptions extends Omit<VerifyRequestOptions, 'fieldLines'> {
  /**
   * The public origin clients sign for, e.g. `'https://api.example.com'`, or several (the
   * request's `Host` picks one). Required: the URL is never built from `Host` alone.
   */
  origin: string | readonly string[]
  /**
   * `req.body` after verification: `'json'` (default) parses a JSON media type
   * (`application/json`, `application/*+json`) and leaves other bodies as a `Buffer`;
   * `'buffer'` always sets a `Buffer`; `'none'` leaves `req.body` alone. An empty body leaves
   * `req.body` undefined. The verified bytes are always `req.countersign.body`.
   */
  body?: ExpressBodyMode
}

/** The Express middleware from {@link countersign}. */
export interface ExpressCountersign extends RequestHandler {
  /**
   * Registers a `checkContinue` listener on the server (`app.listen(...)` returns it): a request
   * with `Expect: 100-continue` gets `100 Continue` only when it is signed, its signature fields
   * parse and its declared body is within the cap.
   */
  checkContinue(server: Server, options?: CheckContinueOptions): void
}

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i

function setBody(req: Request, mode: ExpressBodyMode, verified: VerifiedRequest): void {
  if (mode === 'none' || verified.body.length === 0) {
    return
  }
  const bytes = verified.body
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (mode === 'json' && JSON_TYPE.test(req.headers['content-type'] ?? '')) {
    // Strict I-JSON: no duplicate keys, no __proto__, depth at most 32, and no number that a
    // double would change; refusals are 400 invalid_json or malformed.
    req.body = parseJsonStrict(buffer.toString('utf8'))
    return
  }
  req.body = buffer
}

/**
 * Creates Express middleware that verifies each request's RFC 9421 signature, `Content-Digest`,
 * time window and nonce. Refusals are answered by the middleware: 400 (malformed, duplicate
 * header, unsupported component, invalid JSON), 401 (not verified, with `Accept-Signature`), 413
 * (body too large), 503 (nonce store or key resolver down), as `application/problem+json` with
 * `type`, `title`, `status` and `code` only. On success `req.countersign` holds what was proved
 * and `req.body` the verified body (see {@link ExpressCountersignOptions.body}).
 *
 * Mount it before any body parser (`express.json()` would consume the stream first).
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { countersign } from '@countersign/verifier/express'
 *
 * const app = express()
 * app.use('/api', countersign({ keys, origin: 'https://api.example.com' }))
 * app.post('/api/orders', (req, res) => {
 *   res.json({ from: req.countersign?.keyId, order: req.body })
 * })
 * ```
 *
 * @throws `TypeError` when an option is invalid or `origin` is missing.
 */
export function countersign(options: ExpressCountersignOptions): ExpressCountersign {
  const { core, extras } = createAdapterCore(options, 'countersign', ['body'], true)
  const mode = (extras.body ?? 'json') as ExpressBodyMode
  if (mode !== 'json' && mode !== 'buffer' && mode !== 'none') {
    throw new TypeError("countersign: body must be 'json', 'buffer' or 'none'")
  }
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    let bodyRead = false
    let hasBody = announcesBody(req)
    let hasType = false
    const run = async (): Promise<void> => {
      // `originalUrl` is the request target as received, before any router mount rewrote `url`.
      const { fields, target } = requestParts(core, req, req.originalUrl ?? req.url)
      hasType = fields.get('content-type') !== null
      const prepared = core.prepare(fields)
      const body = await readIncomingBody(req, core.maxBodyBytes, fields.get('content-length'))
      bodyRead = true
      hasBody = body.length > 0
      const verified = await core.complete(prepared, target, body)
      req.countersign = verified
      setBody(req, mode, verified)
    }
    run().then(
      () => next(),
      (error: unknown) => {
        const answer = core.answer(error, hasBody, hasType)
        if (answer === undefined) {
          next(error)
          return
        }
        sendAnswer(res, answer, !bodyRead)
      },
    )
  }
  return Object.assign(middleware, {
    checkContinue(server: Server, continueOptions?: CheckContinueOptions): void {
      guardContinue(core, server, continueOptions)
    },
  })
}
