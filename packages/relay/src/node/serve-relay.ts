/**
 * Serving the relay with `node:http`. A handler from `createRelay` is served by the relay's own
 * listener, which makes the same checks as the shared one from `@countersign/node-server` (hard
 * body cap; duplicate `Host`, `Content-Type`, `Content-Length`, `Authorization` and `Origin`
 * lines refused from the raw header lines; absolute-form request targets such as `POST
 * http://127.0.0.1:6379/x` refused; `Expect: 100-continue` answered only for bodies within the
 * cap) but calls the relay without building a Web `Request` and `Response`. Any other handler
 * (and a relay with `auth: custom`, whose hook gets a `Request`) is served by `serveHandler`
 * from `@countersign/node-server`. This module sets the relay's default port and re-exports
 * the shared conversion, with `fieldLinesOf` from `@countersign/verifier/node`.
 *
 * @module
 */
import {
  type RunningServer,
  type ServeOptions,
  serveHandler,
  serveNodeListener,
} from '@countersign/node-server'
import { RELAY_CORE, type WithRelayCore } from '../internal/relay-input.ts'
import { createRelayNodeListener } from './relay-listener.ts'

export type { NodeListener, NodeListenerOptions } from '@countersign/node-server'
export { createNodeListener, fieldLinesOf, toWebRequest } from '@countersign/node-server'

/** Options of {@link serveRelay}: those of `serveHandler`, with port 8787 by default. */
export type ServeRelayOptions = ServeOptions

/** A running server from {@link serveRelay}. */
export type RunningRelayServer = RunningServer

/** The relay's default port. */
const DEFAULT_PORT = 8787

/**
 * Serves a Web handler, such as {@link @countersign/relay!createRelay}'s, on `node:http` with
 * conservative timeouts (30 s per request, 10 s for headers, 5 s keep-alive).
 *
 * @example
 * ```ts
 * const relay = createRelay(options)
 * const server = await serveRelay(relay, { port: 8787, host: '127.0.0.1' })
 * console.log(`relay on ${server.url}`)
 * ```
 */
export function serveRelay(
  handler: (request: Request) => Promise<Response>,
  options: ServeRelayOptions = {},
): Promise<RunningRelayServer> {
  const core = (handler as WithRelayCore)[RELAY_CORE]
  if (core === undefined) {
    return serveHandler(handler, { ...options, port: options.port ?? DEFAULT_PORT })
  }
  const listener = createRelayNodeListener(core, {
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.origin === undefined ? {} : { origin: options.origin }),
  })
  return serveNodeListener(listener, { ...options, port: options.port ?? DEFAULT_PORT })
}
