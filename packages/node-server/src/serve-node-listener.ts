/// <reference types="node" />
/**
 * Serving a `node:http` listener with timeouts that hold and problem+json for every refusal.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { RequestError } from '@countersign/core'
import { answerClientError, type InFlight } from './internal/client-errors.ts'
import { CONTENT_LENGTH } from './internal/content-length.ts'
import { opsListener } from './internal/ops-listener.ts'
import { timeoutsOf, trackResponse } from './internal/timeouts.ts'
import { sendProblem } from './send-problem.ts'
import type { NodeListener, RunningServer, ServeOptions } from './types.ts'

/**
 * Serves a `node:http` listener with the settings of {@link serveHandler}: conservative
 * timeouts (30 s per request, 10 s for headers, 5 s keep-alive, 30 s to take an answer; each
 * configurable, each held to within a second, a late request answered `408
 * request_too_slow`), `Expect: 100-continue` answered with 413 when the declared body is over
 * `maxBodyBytes`, a problem+json answer with `connection: close` for requests Node cannot
 * parse (`400 malformed`; `431 headers_too_large` past the header size limit), and port 8080 on
 * `127.0.0.1` unless told otherwise. For listeners that make
 * the checks of {@link readNodeRequest} themselves. With `health`, `metrics` or `logger` it
 * also answers `/healthz`, `/readyz` (503 once `close()` began) and `/metrics` (with
 * `metricsToken`), sets `x-request-id`, and logs and counts every request.
 *
 * @example
 * ```ts
 * const { url, close } = await serveNodeListener((req, res) => res.end('ok'), { port: 0 })
 * ```
 *
 * @throws `RangeError` for an invalid timeout; rejects when the port cannot be bound.
 */
export function serveNodeListener(
  listener: NodeListener,
  options: ServeOptions = {},
): Promise<RunningServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const timeouts = timeoutsOf(options)
  const server = createServer({
    requestTimeout: timeouts.request,
    headersTimeout: timeouts.headers,
    keepAliveTimeout: timeouts.keepAlive,
    keepAliveTimeoutBuffer: Math.min(500, Math.floor(timeouts.keepAlive / 10)),
    // Node checks the header and request timeouts only this often (30 s by default).
    connectionsCheckingInterval: Math.max(
      25,
      Math.min(250, Math.floor(Math.min(timeouts.headers, timeouts.request) / 4)),
    ),
  })
  const ops = opsListener(listener, options)
  const inFlight = new WeakMap<Duplex, InFlight>()
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    trackResponse(inFlight, req, res, timeouts.send)
    ops.listener(req, res)
  }
  server.on('request', serve)
  server.on('checkContinue', (req, res) => {
    const length = req.headers['content-length']
    if (length !== undefined && CONTENT_LENGTH.test(length) && Number(length) > maxBodyBytes) {
      sendProblem(
        res,
        new RequestError('body_too_large', `body larger than ${maxBodyBytes} bytes`),
        true,
      )
      return
    }
    res.writeContinue()
    serve(req, res)
  })
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    answerClientError(error, socket, inFlight.get(socket))
  })
  const host = options.host ?? '127.0.0.1'
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject)
      const address = server.address() as AddressInfo
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
      resolve({
        server,
        url: `http://${shownHost}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            ops.drain()
            // Answers in progress may finish; past the drain cap every connection is cut.
            const cap = setTimeout(() => server.closeAllConnections(), timeouts.drain)
            cap.unref()
            server.close(() => {
              clearTimeout(cap)
              done()
            })
            server.closeIdleConnections()
          }),
      })
    })
  })
}
