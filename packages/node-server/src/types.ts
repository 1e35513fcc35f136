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
export interface ServeOptions extends NodeListenerOptions, OpsOptions {
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

/** One answered request, as counted by {@link Metrics.observeRequest}. */
export interface RequestSample {
  /** The route pattern (or `other`); never a raw path. */
  route: string
  /** The method. */
  method: string
  /** The status answered. */
  status: number
  /** The Countersign error code, when the answer is a failure. */
  code: string | undefined
  /** Time from the request to the end of its answer, in seconds. */
  seconds: number
}

/** The services' Prometheus metrics, from `createMetrics`. */
export interface Metrics {
  /** The `content-type` of {@link Metrics.render}'s text. */
  readonly contentType: string
  /** Every metric in the Prometheus text format. */
  render(): Promise<string>
  /** Counts one answered request (the servers call it). */
  observeRequest(sample: RequestSample): void
  /** Counts one forwarded request by target and outcome (`ok` or an error code). */
  observeUpstream(target: string, outcome: string): void
  /** Counts one token verification answered from a cache. */
  observeTokenCacheHit(): void
  /** Sets how the age of the current signing key, in seconds, is read at each scrape. */
  signingKeyAge(read: () => number | undefined | Promise<number | undefined>): void
}

/** Options for `createMetrics`. */
export interface MetricsOptions {
  /** Whether Node's process metrics (memory, event loop lag, ...) are included. Default `true`. */
  processMetrics?: boolean
}

/** A JSON-lines logger (a `pino` logger fits). */
export interface Logger {
  info(fields: object, message?: string): void
  warn(fields: object, message?: string): void
  error(fields: object, message?: string): void
}

/** Options for `createLogger`. */
export interface LoggerOptions {
  /** The lowest level written. Default `info`. */
  level?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** A `service` field on every line, e.g. `tokens` or `relay`. */
  name?: string
  /** Where lines go. Default standard error. */
  destination?: { write(line: string): unknown }
}

/** Health and readiness routes. */
export interface HealthOptions {
  /**
   * Readiness checks by name, e.g. `{ store: () => store.ping() }`. `/readyz` answers 200 when
   * every one resolves within `timeoutMs`, else 503 naming the ones that failed.
   */
  checks?: Record<string, () => Promise<unknown>>
  /** How long each check may take, in ms. Default 2 000. */
  timeoutMs?: number
}

/** Health, metrics and logging around a served handler; each off unless given. */
export interface OpsOptions {
  /** Answer `GET /healthz` (alive) and `GET /readyz` (every check passes) before the handler. */
  health?: HealthOptions
  /** Count every request in these metrics (see `createMetrics`). */
  metrics?: Metrics
  /**
   * Serve `GET /metrics` on this listener to callers sending `Authorization: Bearer <token>`
   * (at least 16 characters). Without it, serve the metrics on a listener of their own
   * (`serveMetrics`).
   */
  metricsToken?: string
  /** Write one line per request (request id, method, route, status, code, latency, trace id). */
  logger?: Logger
  /**
   * Take the request id from the client's `X-Request-Id` when it is 1 to 128 of
   * `[A-Za-z0-9._:-]` (behind a proxy that sets it). Default `false`: a fresh UUID each time.
   * Either way it is answered in `X-Request-Id` (unless the handler sets its own).
   */
  trustRequestId?: boolean
  /**
   * The route pattern of a request for logs and metric labels, when the handler does not
   * say (see `annotateRequest`). Default: `other`. Never return a raw path.
   */
  routeOf?: (method: string, path: string) => string | undefined
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
