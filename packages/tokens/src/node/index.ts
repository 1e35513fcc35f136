/// <reference types="node" />
/**
 * Node-only parts of `@countersign/tokens`: serving the token service with `node:http`. The Node
 * server itself lives in `@countersign/node-server`; its functions are re-exported here for code
 * that imported them from this path. The `countersign tokens serve` CLI is in `@countersign/cli`.
 *
 * @module
 */
export type {
  NodeListener,
  NodeListenerOptions,
  NodeRequestParts,
  RunningServer,
  ServeOptions,
} from '@countersign/node-server'
export {
  createNodeListener,
  readNodeRequest,
  sendProblem,
  serveHandler,
  serveNodeListener,
  toWebRequest,
} from '@countersign/node-server'
export { serveTokenService } from './serve.ts'
