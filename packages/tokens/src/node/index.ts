/// <reference types="node" />
/**
 * Node-only parts of `@countersign/tokens`: serving a Web handler with `node:http` (body cap,
 * duplicate-header and request-target checks). The `countersign tokens serve` CLI is in
 * `@countersign/cli`.
 *
 * @module
 */
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
