/**
 * Node-only parts of `@countersign/relay`: serving a Web handler with `node:http` (body cap,
 * duplicate-header and request-target checks), loading a relay config file, and the
 * `countersign-relay` CLI.
 *
 * @module
 */
export type { RelayCliIo } from './cli-main.ts'
export { runRelayCli } from './cli-main.ts'
export type { LoadedRelayConfig, LoadRelayConfigOptions } from './load-relay-config.ts'
export { loadRelayConfig } from './load-relay-config.ts'
export type {
  NodeListener,
  NodeListenerOptions,
  RunningRelayServer,
  ServeRelayOptions,
} from './serve-relay.ts'
export { createNodeListener, fieldLinesOf, serveRelay, toWebRequest } from './serve-relay.ts'
