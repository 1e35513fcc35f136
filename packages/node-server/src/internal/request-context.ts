/// <reference types="node" />
/**
 * The context of one request served with operations options: what the access log line and the
 * request metrics report. Handlers add to it with `annotateRequest`.
 *
 * @internal
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/** What is known about one request. */
export interface RequestContext {
  /** The request id answered in `x-request-id`. */
  requestId?: string
  /** The route pattern, e.g. `POST /generate`; never the raw path (it may hold a token). */
  route?: string
  /** The Countersign error code of the answer, when it failed. */
  code?: string
  /** The relay target the request went to. */
  target?: string
}

/** The context of the request being served, when operations options are on. */
export const requestContext = new AsyncLocalStorage<RequestContext>()
