/**
 * Serving a Web handler (the relay, or an API that verifies relay requests) with `node:http`:
 * the request is converted to a `Request` with a hard body cap; duplicate `Host`,
 * `Content-Type`, `Content-Length` and `Authorization` lines are refused (Node keeps only the
 * first of them, so the raw header lines are read); absolute-form request targets
 * (`POST http://127.0.0.1:6379/x`) are refused; and `Expect: 100-continue` is answered only
 * for bodies within the cap.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type FieldLine, RequestError } from '@countersign/core'

/** Options of {@link toWebRequest} and {@link createNodeListener}. */
export interface NodeListenerOptions {
  /** The largest request body, in bytes. Default 64 KiB; larger gets 413 before it is read. */
  maxBodyBytes?: number
  /**
   * The origin clients address, e.g. `https://relay.example` (behind a TLS proxy). Default
   * `http://` plus the validated `Host` header.
   */
  origin?: string
}

/** Options of {@link serveRelay}. */
export interface ServeRelayOptions extends NodeListenerOptions {
  /** The port; `0` picks a free one. Default 8787. */
  port?: number
  /** The interface to bind. Default `127.0.0.1`. */
  host?: string
}

/** A running server from {@link serveRelay}. */
export interface RunningRelayServer {
  /** The `node:http` server. */
  server: Server
  /** Its base URL, e.g. `http://127.0.0.1:8787`. */
  url: string
  /** Stops accepting connections, closes idle ones, and resolves once the server has closed. */
  close(): Promise<void>
}

/** A `node:http` request listener. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void

/** Fields that must appear at most once. */
const SINGLE_FIELDS: ReadonlySet<string> = new Set([
  'host',
  'content-type',
  'content-length',
  'authorization',
  'transfer-encoding',
  'origin',
])
const HOST_PATTERN = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/
const DEFAULT_MAX_BODY_BYTES = 64 * 1024

const INTERNAL_PROBLEM = {
  type: 'https://countersign.dev/errors#internal_error',
  title: 'internal error',
  status: 500,
  code: 'internal_error',
}

function sendProblem(
  res: ServerResponse,
  problem: object & { status: number },
  close: boolean,
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
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
        finish(new RequestError('body_too_large', `the body is larger than ${maxBytes} bytes`))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => finish(new Uint8Array(Buffer.concat(chunks, total))))
    req.on('error', () => finish(new RequestError('malformed', 'could not read the request body')))
    req.on('aborted', () => finish(new RequestError('malformed', 'the request was aborted')))
  })
}

/**
 * The raw header lines of a `node:http` request as `[name, value]` pairs, in order and with
 * duplicates, for `verifyRelayRequest`'s `fieldLines`.
 *
 * @example
 * ```ts
 * await verifyRelayRequest(request, { ...options, fieldLines: fieldLinesOf(req) })
 * ```
 */
export function fieldLinesOf(req: IncomingMessage): FieldLine[] {
  const raw = req.rawHeaders
  const lines: FieldLine[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    lines.push([raw[i] as string, raw[i + 1] as string] as FieldLine)
  }
  return lines
}

/**
 * Converts a `node:http` request to a Web `Request`, or returns the `RequestError` that says
 * why it cannot be: a duplicate single-valued header (`duplicate_header`), an absolute-form or
 * asterisk-form request target, a bad `Host` (`malformed`), or a body over the cap
 * (`body_too_large`).
 *
 * @example
 * ```ts
 * const request = await toWebRequest(req, { maxBodyBytes: 65_536 })
 * if (request instanceof RequestError) { … }
 * ```
 */
export async function toWebRequest(
  req: IncomingMessage,
  options: NodeListenerOptions = {},
): Promise<Request | RequestError> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const raw = req.rawHeaders
  const seen = new Set<string>()
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    if (SINGLE_FIELDS.has(name)) {
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
 * Wraps a Web handler as a `node:http` listener (see {@link toWebRequest} for what is refused).
 * A handler that throws gets a generic 500 problem; nothing about the error is sent.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * createServer(createNodeListener(relay)).listen(8787, '127.0.0.1')
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
        sendProblem(res, request.toProblem(), true)
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

/**
 * Serves a Web handler, such as {@link @countersign/relay!createRelay}'s, on `node:http` with conservative
 * timeouts (30 s per request, 10 s for headers, 5 s keep-alive).
 *
 * @example
 * ```ts
 * const relay = createRelay(options)
 * const server = await serveRelay(relay, { port: 8787, host: '127.0.0.1' })
 * console.log(`relay on ${server.url}`)
 * ```
 */
export function serveRelay(
  handler: (request: Request) => Promise<Response>,
  options: ServeRelayOptions = {},
): Promise<RunningRelayServer> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
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
        new RequestError(
          'body_too_large',
          `the body is larger than ${maxBodyBytes} bytes`,
        ).toProblem(),
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
    server.listen(options.port ?? 8787, host, () => {
      server.off('error', reject)
      const address = server.address() as AddressInfo
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
      resolve({
        server,
        url: `http://${shown}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeIdleConnections()
          }),
      })
    })
  })
}
