/// <reference types="node" />
/**
 * `@countersign/node-server`: Countersign's one home for `node:http` glue, used by the
 * verifier's Node adapters, the token service and the relay. It converts a `node:http` request
 * to field lines and a Web `Request` with the raw-header duplicate checks Node's `req.headers`
 * hides, reads bodies with a hard cap, answers every refusal (including Node's own parser
 * errors) with RFC 9457 problem+json, and serves with timeouts that hold and a graceful close.
 *
 * @module
 */
export { annotateRequest } from './annotate-request.ts'
export { createLogger } from './create-logger.ts'
export { createMetrics } from './create-metrics.ts'
export { createNodeListener } from './create-node-listener.ts'
export { fieldLinesOf } from './field-lines-of.ts'
export type { RequestContext } from './internal/request-context.ts'
export { readNodeBody } from './read-node-body.ts'
export { readNodeRequest } from './read-node-request.ts'
export { sendProblem } from './send-problem.ts'
export { serveHandler } from './serve-handler.ts'
export { serveMetrics } from './serve-metrics.ts'
export { serveNodeListener } from './serve-node-listener.ts'
export { toWebRequest } from './to-web-request.ts'
export type {
  HealthOptions,
  Logger,
  LoggerOptions,
  Metrics,
  MetricsOptions,
  NodeListener,
  NodeListenerOptions,
  NodeRequestParts,
  OpsOptions,
  RequestSample,
  RunningServer,
  ServeOptions,
} from './types.ts'
export { webRequestOf } from './web-request-of.ts'
