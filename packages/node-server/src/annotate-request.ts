/// <reference types="node" />
/**
 * Telling the access log and request metrics what a handler knows about its request.
 *
 * @module
 */
import { type RequestContext, requestContext } from './internal/request-context.ts'

const LABEL = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/

/**
 * Sets the route pattern, error code or relay target of the request being served by
 * `serveHandler` / `serveNodeListener` with a `logger` or `metrics`, for its log line and its
 * metric labels. Call it from the handler's own log or audit callback. Values must be short
 * printable ASCII (at most 128 characters); others are ignored, as is a call outside a request.
 * Pass route patterns (`POST /admin/api-keys/:id`), never raw paths or anything secret.
 *
 * @example
 * ```ts
 * createTokenService({ ...options, logger: (event) => annotateRequest(event) })
 * ```
 *
 * @throws never.
 */
export function annotateRequest(fields: Omit<RequestContext, 'requestId'>): void {
  const context = requestContext.getStore()
  if (context === undefined) {
    return
  }
  for (const name of ['route', 'code', 'target'] as const) {
    const value = fields[name]
    if (typeof value === 'string' && LABEL.test(value)) {
      context[name] = value
    }
  }
}
