/// <reference types="node" />
/**
 * Serving a Web-standard handler (such as the token service) with `node:http`: the request is
 * converted to a `Request` with a hard body cap, duplicate `Host`, `Content-Type`,
 * `Authorization` and credential headers are refused (Node keeps only the first of them, so the
 * raw headers are checked), absolute-form request targets are refused, and `Expect:
 * 100-continue` is answered only for bodies within the cap.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { RequestError } from '@countersign/core'
import { answerClientError, type InFlight } from './client-errors.ts'

/** Options for {@link createNodeListener}. */
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

/** Headers that must appear at most once, each with its bit in a request's seen-mask. */
const SINGLE_HEADERS: ReadonlyMap<string, number> = new Map(
  [
    'host',
    'content-type',
    'content-length',
    'authorization',
    'transfer-encoding',
    'x-api-key',
    'x-api-token',
    'accesstoken',
    'origin',
  ].map((name, i) => [name, 1 << i]),
)
/** Whether any single header has this many characters (skips lower-casing the others). */
const SINGLE_LENGTHS: readonly boolean[] = Array.from({ length: 32 }, (_, n) =>
  [...SINGLE_HEADERS.keys()].some((name) => name.length === n),
)

const HOST_PATTERN = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

const CONTENT_LENGTH = /^\d{1,15}$/
const EMPTY = new Uint8Array(0)
/** Methods `new Request` refuses; refused here before the body is read. */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK'])

const INTERNAL_PROBLEM = {
  type: 'https://countersign.dev/errors#internal_error',
  title: 'internal error',
  status: 500,
  code: 'internal_error',
}

/**
 * Answers with an RFC 9457 problem (`application/problem+json`, `cache-control: no-store`) for
 * a coded error, or a bare 500 `internal_error` problem when `error` is `undefined`. With
 * `close`, asks the client to close the connection. When the head was already sent, the
 * socket is destroyed instead.
 */
export function sendProblem(
  res: ServerResponse,
  error: RequestError | undefined,
  close = false,
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const problem = error === undefined ? INTERNAL_PROBLEM : error.toProblem()
  const body = JSON.stringify(problem)
  res.writeHead(problem.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
  })
  res.end(body)
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array | RequestError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let total = 0
    let done = false
    const finish = (value: Uint8Array | RequestError): void => {
      if (!done) {
        done = true
        resolve(value)
      }
    }
    req.on('data', (chunk: Buffer) => {
      if (done) {
        return
      }
      total += chunk.byteLength
      if (total > maxBytes) {
        req.pause()
        finish(new RequestError('body_too_large', `body larger than ${maxBytes} bytes`))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      // One chunk (the usual case for small bodies) is handed over as it is.
      finish(
        chunks.length === 1
          ? (chunks[0] as Buffer)
          : chunks.length === 0
            ? EMPTY
            : Buffer.concat(chunks, total),
      )
    })
    req.on('error', () => finish(new RequestError('malformed', 'could not read the request body')))
    req.on('aborted', () => finish(new RequestError('malformed', 'request aborted')))
  })
}

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

/**
 * Checks a `node:http` request and reads its body, the first half of {@link toWebRequest}, for
 * listeners that do not need a Web `Request`. Refused with a `RequestError`: a repeated
 * single-valued header (`Host`, `Content-Type`, `Content-Length`, `Authorization`,
 * `Transfer-Encoding`, `Origin` and the token headers; Node keeps only the first, so the raw
 * lines are checked), a target that is not a path (absolute-form, asterisk-form, `//`), a missing
 * or invalid `Host` when no origin is configured, a target that does not make a URL,
 * `CONNECT`/`TRACE`/`TRACK`, an invalid `Content-Length`, and a body over `maxBodyBytes`
 * (`body_too_large`, before reading when the length is declared).
 */
export async function readNodeRequest(
  req: IncomingMessage,
  options: NodeListenerOptions = {},
): Promise<NodeRequestParts | RequestError> {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const raw = req.rawHeaders
  let seen = 0
  for (let i = 0; i < raw.length; i += 2) {
    const rawName = raw[i] as string
    if (SINGLE_LENGTHS[rawName.length] !== true) {
      continue
    }
    const name = rawName.toLowerCase()
    const bit = SINGLE_HEADERS.get(name)
    if (bit !== undefined) {
      if ((seen & bit) !== 0) {
        return new RequestError('duplicate_header', `duplicate ${name} header`)
      }
      seen |= bit
    }
  }
  const target = req.url ?? ''
  if (!target.startsWith('/') || target.startsWith('//')) {
    return new RequestError(
      'malformed',
      'the request target must be a path (absolute-form and asterisk-form are not accepted)',
    )
  }
  let origin = options.origin
  if (origin === undefined) {
    const host = req.headers.host
    if (host === undefined || !HOST_PATTERN.test(host)) {
      return new RequestError('malformed', 'missing or invalid Host header')
    }
    origin = `http://${host}`
  } else if (origin.endsWith('/')) {
    origin = origin.replace(/\/+$/, '')
  }
  const url = origin + target
  if (!URL.canParse(url)) {
    return new RequestError('malformed', 'invalid request target')
  }
  const method = (req.method ?? 'GET').toUpperCase()
  if (FORBIDDEN_METHODS.has(method)) {
    return new RequestError('malformed', 'invalid request')
  }
  let body: Uint8Array | undefined
  if (method !== 'GET' && method !== 'HEAD') {
    const length = req.headers['content-length']
    if (length !== undefined) {
      if (!CONTENT_LENGTH.test(length)) {
        return new RequestError('malformed', 'invalid Content-Length')
      }
      if (Number(length) > maxBodyBytes) {
        return new RequestError('body_too_large', `the body is larger than ${maxBodyBytes} bytes`)
      }
    }
    const read = await readBody(req, maxBodyBytes)
    if (read instanceof RequestError) {
      return read
    }
    body = read
  }
  return { method, target, url, body }
}

/**
 * Converts a `node:http` request to a Web `Request`, or a `RequestError` saying why not: the
 * checks of {@link readNodeRequest}, then header values that a `Headers` refuses.
 */
export async function toWebRequest(
  req: IncomingMessage,
  options: NodeListenerOptions = {},
): Promise<Request | RequestError> {
  const parts = await readNodeRequest(req, options)
  if (parts instanceof RequestError) {
    return parts
  }
  const raw = req.rawHeaders
  const headers = new Headers()
  try {
    for (let i = 0; i < raw.length; i += 2) {
      headers.append(raw[i] as string, raw[i + 1] as string)
    }
  } catch {
    return new RequestError('malformed', 'invalid header')
  }
  const { body } = parts
  try {
    return new Request(parts.url, {
      method: parts.method,
      headers,
      ...(body === undefined || body.byteLength === 0
        ? {}
        : { body: body as Uint8Array<ArrayBuffer> }),
    })
  } catch {
    return new RequestError('malformed', 'invalid request')
  }
}

/**
 * Wraps a Web handler as a `node:http` listener.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * createServer(createNodeListener(createTokenService(options))).listen(8080)
 * ```
 */
export function createNodeListener(
  handler: (request: Request) => Promise<Response>,
  options: NodeListenerOptions = {},
): NodeListener {
  return (req, res) => {
    void (async () => {
      const request = await toWebRequest(req, options)
      if (request instanceof RequestError) {
        sendProblem(res, request, true)
        return
      }
      let response: Response
      try {
        response = await handler(request)
      } catch {
        sendProblem(res, undefined, true)
        return
      }
      const body =
        request.method === 'HEAD' || response.body === null
          ? new Uint8Array(0)
          : new Uint8Array(await response.arrayBuffer())
      const headers: Record<string, string> = {}
      response.headers.forEach((value, name) => {
        headers[name] = value
      })
      if (response.status !== 204 && response.status !== 304) {
        headers['content-length'] = String(body.byteLength)
      }
      res.writeHead(response.status, headers)
      res.end(body)
    })().catch(() => {
      if (!res.headersSent) {
        res.statusCode = 500
      }
      res.end()
    })
  }
}

/** Options for {@link serveTokenService}. */
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
}

/** A running server. */
export interface RunningServer {
  /** The `node:http` server. */
  server: Server
  /** Its base URL, e.g. `http://127.0.0.1:8080`. */
  url: string
  /** Stops accepting connections and closes idle ones. */
  close(): Promise<void>
}

/**
 * Serves the token service (or any Web handler) on `node:http`; the same as
 * {@link serveHandler}.
 *
 * @example
 * ```ts
 * const { url, close } = await serveTokenService(createTokenService(options), { port: 8080 })
 * ```
 */
export function serveTokenService(
  handler: (request: Request) => Promise<Response>,
  options: ServeOptions = {},
): Promise<RunningServer> {
  return serveHandler(handler, options)
}

/**
 * Serves a Web handler `(request: Request) => Promise<Response>` on `node:http` with
 * conservative timeouts (30 s per request, 10 s for headers, 5 s keep-alive; see
 * {@link serveNodeListener}), converting each
 * request with {@link toWebRequest} (duplicate single-valued headers, absolute-form targets and
 * oversized bodies are refused with a problem+json 4xx).
 *
 * @example
 * ```ts
 * const { url, close } = await serveHandler(async () => new Response('ok'), { port: 0 })
 * ```
 */
export function serveHandler(
  handler: (request: Request) => Promise<Response>,
  options: ServeOptions = {},
): Promise<RunningServer> {
  return serveNodeListener(createNodeListener(handler, options), options)
}

interface Timeouts {
  headers: number
  request: number
  keepAlive: number
  send: number
}

function timeoutOf(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) {
    return fallback
  }
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive whole number of milliseconds`)
  }
  return value
}

/** The server's timeouts, checked (`RangeError` for a bad one). */
function timeoutsOf(options: ServeOptions): Timeouts {
  const timeouts = {
    headers: timeoutOf(options.headersTimeoutMs, 10_000, 'headersTimeoutMs'),
    request: timeoutOf(options.requestTimeoutMs, 30_000, 'requestTimeoutMs'),
    keepAlive: timeoutOf(options.keepAliveTimeoutMs, 5_000, 'keepAliveTimeoutMs'),
    send: timeoutOf(options.sendTimeoutMs, 30_000, 'sendTimeoutMs'),
  }
  if (timeouts.request < timeouts.headers) {
    throw new RangeError('requestTimeoutMs must be at least headersTimeoutMs')
  }
  return timeouts
}

/**
 * Remembers `res` as the socket's response in flight (for `clientError` answers) and, once
 * the answer is ended, gives the client `sendMs` to take it before the socket is destroyed.
 */
function trackResponse(
  inFlight: WeakMap<Duplex, InFlight>,
  req: IncomingMessage,
  res: ServerResponse,
  sendMs: number,
): void {
  const socket = req.socket
  const entry = { req, res }
  inFlight.set(socket, entry)
  let timer: NodeJS.Timeout | undefined
  const done = (): void => {
    clearTimeout(timer)
    if (inFlight.get(socket) === entry) {
      inFlight.delete(socket)
    }
  }
  res.once('prefinish', () => {
    timer = setTimeout(() => socket.destroy(), sendMs)
    timer.unref()
  })
  res.once('finish', done)
  res.once('close', done)
}

/**
 * Serves a `node:http` listener with the settings of {@link serveHandler}: conservative
 * timeouts (30 s per request, 10 s for headers, 5 s keep-alive, 30 s to take an answer; each
 * configurable, each held to within a second, a late request answered `408
 * request_too_slow`), `Expect: 100-continue` answered with 413 when the declared body is over
 * `maxBodyBytes`, a problem+json answer with `connection: close` for requests Node cannot
 * parse (`400 malformed`; `431 headers_too_large` past the header size limit), and port 8080 on
 * `127.0.0.1` unless told otherwise. For listeners that make
 * the checks of {@link readNodeRequest} themselves.
 *
 * @example
 * ```ts
 * const { url, close } = await serveNodeListener((req, res) => res.end('ok'), { port: 0 })
 * ```
 */
export function serveNodeListener(
  listener: NodeListener,
  options: ServeOptions = {},
): Promise<RunningServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const timeouts = timeoutsOf(options)
  const server = createServer({
    requestTimeout: timeouts.request,
    headersTimeout: timeouts.headers,
    keepAliveTimeout: timeouts.keepAlive,
    keepAliveTimeoutBuffer: Math.min(500, Math.floor(timeouts.keepAlive / 10)),
    // Node checks the header and request timeouts only this often (30 s by default).
    connectionsCheckingInterval: Math.max(
      25,
      Math.min(250, Math.floor(Math.min(timeouts.headers, timeouts.request) / 4)),
    ),
  })
  const inFlight = new WeakMap<Duplex, InFlight>()
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    trackResponse(inFlight, req, res, timeouts.send)
    listener(req, res)
  }
  server.on('request', serve)
  server.on('checkContinue', (req, res) => {
    const length = req.headers['content-length']
    if (length !== undefined && CONTENT_LENGTH.test(length) && Number(length) > maxBodyBytes) {
      sendProblem(
        res,
        new RequestError('body_too_large', `body larger than ${maxBodyBytes} bytes`),
        true,
      )
      return
    }
    res.writeContinue()
    serve(req, res)
  })
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    answerClientError(error, socket, inFlight.get(socket))
  })
  const host = options.host ?? '127.0.0.1'
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject)
      const address = server.address() as AddressInfo
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
      resolve({
        server,
        url: `http://${shownHost}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeIdleConnections()
          }),
      })
    })
  })
}
