/// <reference types="node" />
/**
 * Node-only parts of `@countersign/tokens`: serving a Web handler with `node:http` (body cap,
 * duplicate-header and request-target checks) and the `countersign tokens serve` CLI.
 *
 * @module
 */
export { runTokensCli } from './cli-main.ts'
export type {
  NodeListener,
  NodeListenerOptions,
  NodeRequestParts,
  RunningServer,
  ServeOptions,
} from './serve.ts'
export {
  createNodeListener,
  readNodeRequest,
  sendProblem,
  serveHandler,
  serveNodeListener,
  serveTokenService,
  toWebRequest,
} from './serve.ts'
