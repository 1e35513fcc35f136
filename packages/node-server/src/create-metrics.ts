/// <reference types="node" />
/**
 * Prometheus metrics for the Countersign services, on `prom-client`.
 *
 * @module
 */
import type { Metrics, MetricsOptions } from './types.ts'

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Creates the services' metrics in a registry of their own (`prom-client` is loaded only
 * here, so metrics cost nothing when off): `countersign_http_requests_total{route,method,
 * status,code}`, `countersign_http_request_duration_seconds{route,method}` (histogram),
 * `countersign_upstream_requests_total{target,outcome}`, `countersign_store_errors_total`,
 * `countersign_token_cache_hits_total`, `countersign_rate_limit_refusals_total` and
 * `countersign_signing_key_age_seconds`, plus Node's process metrics unless
 * `processMetrics: false`. Pass it as `metrics` to `serveHandler` / `serveNodeListener`,
 * which count every request.
 *
 * @example
 * ```ts
 * const metrics = await createMetrics()
 * await serveHandler(handler, { metrics, metricsToken: process.env.METRICS_TOKEN })
 * ```
 *
 * @throws never (rejects only if `prom-client` cannot be loaded).
 */
export async function createMetrics(options: MetricsOptions = {}): Promise<Metrics> {
  const prom = await import('prom-client')
  const registry = new prom.Registry()
  if (options.processMetrics !== false) {
    prom.collectDefaultMetrics({ register: registry })
  }
  const registers = [registry]
  const requests = new prom.Counter({
    name: 'countersign_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method, status and error code.',
    labelNames: ['route', 'method', 'status', 'code'],
    registers,
  })
  const latency = new prom.Histogram({
    name: 'countersign_http_request_duration_seconds',
    help: 'Time from the request to the end of its answer.',
    labelNames: ['route', 'method'],
    buckets: BUCKETS,
    registers,
  })
  const upstream = new prom.Counter({
    name: 'countersign_upstream_requests_total',
    help: 'Requests the relay forwarded, by target and outcome (ok or the error code).',
    labelNames: ['target', 'outcome'],
    registers,
  })
  const storeErrors = new prom.Counter({
    name: 'countersign_store_errors_total',
    help: 'Answers that failed because a store could not answer.',
    registers,
  })
  const cacheHits = new prom.Counter({
    name: 'countersign_token_cache_hits_total',
    help: 'Token verifications answered from the cache.',
    registers,
  })
  const refusals = new prom.Counter({
    name: 'countersign_rate_limit_refusals_total',
    help: 'Requests refused by a rate limit.',
    registers,
  })
  let keyAge: (() => number | undefined | Promise<number | undefined>) | undefined
  new prom.Gauge({
    name: 'countersign_signing_key_age_seconds',
    help: 'Age of the current signing key.',
    registers,
    async collect() {
      const age = await Promise.resolve(keyAge?.()).catch(() => undefined)
      if (typeof age === 'number' && Number.isFinite(age)) {
        this.set(age)
      }
    },
  })
  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observeRequest({ route, method, status, code, seconds }) {
      const shownMethod = METHODS.has(method) ? method : 'OTHER'
      requests.inc({ route, method: shownMethod, status: String(status), code: code ?? '' })
      latency.observe({ route, method: shownMethod }, seconds)
      if (code === 'rate_limited') {
        refusals.inc()
      } else if (code === 'store_unavailable' || code === 'store_full') {
        storeErrors.inc()
      }
    },
    observeUpstream(target, outcome) {
      upstream.inc({ target, outcome })
    },
    observeTokenCacheHit() {
      cacheHits.inc()
    },
    signingKeyAge(read) {
      keyAge = read
    },
  }
}
