/**
 * Node-only parts of `@countersign/relay`: serving a Web handler with `node:http` (body cap,
 * duplicate-header and request-target checks) and loading a relay config file. The
 * `countersign relay` CLI is in `@countersign/cli`.
 *
 * @module
 */
export type { LoadedRelayConfig, LoadRelayConfigOptions } from './load-relay-config.ts'
export { loadRelayConfig } from './load-relay-config.ts'
export type {
  NodeListener,
  NodeListenerOptions,
  RunningRelayServer,
  ServeRelayOptions,
} from './serve-relay.ts'
export { createNodeListener, fieldLinesOf, serveRelay, toWebRequest } from './serve-relay.ts'
