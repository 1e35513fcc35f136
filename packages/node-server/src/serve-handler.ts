/// <reference types="node" />
/**
 * Serving a Web handler on `node:http`.
 *
 * @module
 */
import { createNodeListener } from './create-node-listener.ts'
import { serveNodeListener } from './serve-node-listener.ts'
import type { RunningServer, ServeOptions } from './types.ts'

/**
 * Serves a Web handler `(request: Request) => Promise<Response>` on `node:http` with
 * conservative timeouts (30 s per request, 10 s for headers, 5 s keep-alive; see
 * {@link serveNodeListener}), converting each
 * request with {@link toWebRequest} (duplicate single-valued headers, absolute-form targets and
 * oversized bodies are refused with a problem+json 4xx).
 *
 * @example
 * ```ts
 * const { url, close } = await serveHandler(async () => new Response('ok'), { port: 0 })
 * ```
 *
 * @throws `RangeError` for an invalid timeout; rejects when the port cannot be bound.
 */
export function serveHandler(
  handler: (request: Request) => Promise<Response>,
  options: ServeOptions = {},
): Promise<RunningServer> {
  return serveNodeListener(createNodeListener(handler, options), options)
}
