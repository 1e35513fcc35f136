/// <reference types="node" />
/**
 * Serving metrics on a listener of their own.
 *
 * @module
 */
import { RequestError } from '@countersign/core'
import { sendProblem } from './send-problem.ts'
import { serveNodeListener } from './serve-node-listener.ts'
import type { Metrics, RunningServer } from './types.ts'

/**
 * Serves `GET /metrics` (Prometheus text format) and nothing else, on its own port: bind it
 * to an interface only your scraper reaches (default `127.0.0.1`, port 9464).
 *
 * @example
 * ```ts
 * const metrics = await createMetrics()
 * const scrape = await serveMetrics(metrics, { port: 9464 })
 * ```
 *
 * @throws rejects when the port cannot be bound.
 */
export function serveMetrics(
  metrics: Metrics,
  options: { port?: number; host?: string } = {},
): Promise<RunningServer> {
  return serveNodeListener(
    (req, res) => {
      const path = (req.url ?? '').split('?')[0]
      if (path !== '/metrics') {
        sendProblem(res, new RequestError('not_found', 'only /metrics is served here'))
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD')
        sendProblem(res, new RequestError('method_not_allowed', 'use GET'))
      } else {
        metrics.render().then(
          (body) => {
            res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
            res.end(req.method === 'HEAD' ? undefined : body)
          },
          () => sendProblem(res, undefined),
        )
      }
    },
    { port: options.port ?? 9464, host: options.host ?? '127.0.0.1' },
  )
}
