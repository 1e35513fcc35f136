/// <reference types="node" />
/**
 * Types of `@countersign/node-server`.
 *
 * @module
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/** Options for `createNodeListener`, `toWebRequest` and `readNodeRequest`. */
export interface NodeListenerOptions {
  /** Largest request body read, in bytes. Default 64 KiB. Larger bodies get 413. */
  maxBodyBytes?: number
  /**
   * The origin requests are addressed to, e.g. `https://tokens.example`. Default: `http://` plus
   * the validated `Host` header.
   */
  origin?: string
}

/** A `node:http` request listener. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void

/** A `node:http` request that passed {@link readNodeRequest}'s checks, with its body read. */
export interface NodeRequestParts {
  /** The method, upper-case. */
  method: string
  /** The request target as sent: a path with an optional query, starting with one `/`. */
  target: string
  /** The origin (configured, or `http://` plus the validated `Host`) followed by the target. */
  url: string
  /** The body, at most `maxBodyBytes`; `undefined` for `GET` and `HEAD`. */
  body: Uint8Array | undefined
}

/** Options for {@link serveHandler} and {@link serveNodeListener}. */
export interface ServeOptions extends NodeListenerOptions {
  /** The port; `0` picks a free one. Default 8080. */
  port?: number
  /** The interface to bind. Default `127.0.0.1`. */
  host?: string
  /**
   * The time a client has to send the request line and headers, in ms (default 10 000). Past
   * it the connection gets `408 request_too_slow` and is closed.
   */
  headersTimeoutMs?: number
  /**
   * The time a client has to send the whole request, headers and body, in ms (default 30 000;
   * at least `headersTimeoutMs`). Past it: `408 request_too_slow` and the connection closes.
   */
  requestTimeoutMs?: number
  /** How long an idle keep-alive connection is kept between requests, in ms (default 5 000). */
  keepAliveTimeoutMs?: number
  /**
   * The time a client has to take an answer once it is written, in ms (default 30 000); a
   * client that stops reading is disconnected.
   */
  sendTimeoutMs?: number
  /**
   * How long `close()` lets answers in progress finish before it cuts every connection, in ms
   * (default 10 000).
   */
  drainTimeoutMs?: number
}

/** A running server. */
export interface RunningServer {
  /** The `node:http` server. */
  server: Server
  /** Its base URL, e.g. `http://127.0.0.1:8080`. */
  url: string
  /**
   * Stops accepting connections, closes idle ones, lets answers in progress finish for up to
   * `drainTimeoutMs`, then closes the rest; resolves when the server is closed.
   */
  close(): Promise<void>
}
