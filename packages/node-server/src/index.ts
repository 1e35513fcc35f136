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
export { createNodeListener } from './create-node-listener.ts'
export { fieldLinesOf } from './field-lines-of.ts'
export { readNodeBody } from './read-node-body.ts'
export { readNodeRequest } from './read-node-request.ts'
export { sendProblem } from './send-problem.ts'
export { serveHandler } from './serve-handler.ts'
export { serveNodeListener } from './serve-node-listener.ts'
export { toWebRequest } from './to-web-request.ts'
export type {
  NodeListener,
  NodeListenerOptions,
  NodeRequestParts,
  RunningServer,
  ServeOptions,
} from './types.ts'
export { webRequestOf } from './web-request-of.ts'
