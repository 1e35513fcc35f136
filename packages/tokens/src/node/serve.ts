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
import { RequestError } from '@countersign/core'

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

/** Headers that must appear at most once. */
const SINGLE_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-type',
  'content-length',
  'authorization',
  'transfer-encoding',
  'x-api-key',
  'x-api-token',
  'accesstoken',
  'origin',
])

const HOST_PATTERN = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

const INTERNAL_PROBLEM = {
  type: 'https://countersign.dev/errors#internal_error',
  title: 'internal error',
  status: 500,
  code: 'internal_error',
}

function sendProblem(
  res: ServerResponse,
  error: RequestError | typeof INTERNAL_PROBLEM,
  close = false,
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const problem = error instanceof RequestError ? error.toProblem() : error
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
      const out = new Uint8Array(total)
      let offset = 0
      for (const chunk of chunks) {
        out.set(chunk, offset)
        offset += chunk.byteLength
      }
      finish(out)
    })
    req.on('error', () => finish(new RequestError('malformed', 'could not read the request body')))
    req.on('aborted', () => finish(new RequestError('malformed', 'request aborted')))
  })
}

/**
 * Converts a `node:http` request to a Web `Request`, or a `RequestError` saying why not.
 */
export async function toWebRequest(
  req: IncomingMessage,
  options: NodeListenerOptions = {},
): Promise<Request | RequestError> {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const raw = req.rawHeaders
  const seen = new Set<string>()
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    if (SINGLE_HEADERS.has(name)) {
      if (seen.has(name)) {
        return new RequestError('duplicate_header', `duplicate ${name} header`)
      }
      seen.add(name)
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
  }
  let url: URL
  try {
    url = new URL(origin.replace(/\/+$/, '') + target)
  } catch {
    return new RequestError('malformed', 'invalid request target')
  }
  const headers = new Headers()
  try {
    for (let i = 0; i < raw.length; i += 2) {
      headers.append(raw[i] as string, raw[i + 1] as string)
    }
  } catch {
    return new RequestError('malformed', 'invalid header')
  }
  const method = (req.method ?? 'GET').toUpperCase()
  let body: Uint8Array | undefined
  if (method !== 'GET' && method !== 'HEAD') {
    const length = req.headers['content-length']
    if (length !== undefined) {
      if (!/^\d{1,15}$/.test(length)) {
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
  try {
    return new Request(url, {
      method,
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
        sendProblem(res, INTERNAL_PROBLEM, true)
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
 * conservative timeouts (30 s per request, 10 s for headers, 5 s keep-alive), converting each
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
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const listener = createNodeListener(handler, options)
  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
    listener,
  )
  server.on('checkContinue', (req, res) => {
    const length = req.headers['content-length']
    if (length !== undefined && /^\d{1,15}$/.test(length) && Number(length) > maxBodyBytes) {
      sendProblem(
        res,
        new RequestError('body_too_large', `body larger than ${maxBodyBytes} bytes`),
        true,
      )
      return
    }
    res.writeContinue()
    listener(req, res)
  })
  server.on('clientError', (_error, socket) => {
    if (socket.writable) {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    } else {
      socket.destroy()
    }
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
