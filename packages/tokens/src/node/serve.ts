/// <reference types="node" />
/**
 * Serving the token service with `node:http`, through `@countersign/node-server` (the one Node
 * server: body cap, duplicate-header and request-target checks, timeouts, problem+json for every
 * refusal).
 *
 * @module
 */
import { type RunningServer, type ServeOptions, serveHandler } from '@countersign/node-server'

/**
 * Serves the token service (or any Web handler) on `node:http`; the same as `serveHandler`
 * from `@countersign/node-server`.
 *
 * @example
 * ```ts
 * const { url, close } = await serveTokenService(createTokenService(options), { port: 8080 })
 * ```
 *
 * @throws `RangeError` for an invalid timeout; rejects when the port cannot be bound.
 */
export function serveTokenService(
  handler: (request: Request) => Promise<Response>,
  options: ServeOptions = {},
): Promise<RunningServer> {
  return serveHandler(handler, options)
}
