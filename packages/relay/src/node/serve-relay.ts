/**
 * Serving the relay with `node:http`: the relay is one Web handler, served by `serveHandler`
 * from `@countersign/node-server` (hard body cap; duplicate `Host`, `Content-Type`,
 * `Content-Length`, `Authorization` and `Origin` lines refused from the raw header lines;
 * absolute-form request targets such as `POST http://127.0.0.1:6379/x` refused; `Expect:
 * 100-continue` answered only for bodies within the cap; problem+json for parser errors;
 * timeouts that hold). This module sets the relay's default port and re-exports the shared
 * conversion, with `fieldLinesOf` from `@countersign/verifier/node`.
 *
 * @module
 */
import { type RunningServer, type ServeOptions, serveHandler } from '@countersign/node-server'

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
 *
 * @throws `RangeError` for an invalid timeout; rejects when the port cannot be bound.
 */
export function serveRelay(
  handler: (request: Request) => Promise<Response>,
  options: ServeRelayOptions = {},
): Promise<RunningRelayServer> {
  return serveHandler(handler, { ...options, port: options.port ?? DEFAULT_PORT })
}
