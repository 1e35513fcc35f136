/// <reference types="node" />
/**
 * Answers for requests Node's HTTP parser or its timers refuse before (or while) a listener
 * sees them: every such answer is an RFC 9457 problem with a stable code and `connection:
 * close`, never Node's bare `400`.
 *
 * @internal
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { type ProblemDetails, RequestError } from '@countersign/core'

/** How long a refused connection may take to receive its answer before it is destroyed. */
const LINGER_MS = 1_000

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
}

/** The coded error for a `clientError` from `node:http` (an llhttp `HPE_*` code or a timeout). */
export function clientErrorOf(code: string | undefined): RequestError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestError('request_too_slow', 'the request did not arrive in time')
    case 'HPE_HEADER_OVERFLOW':
      return new RequestError(
        'headers_too_large',
        'the request line and headers are larger than the server reads',
      )
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new RequestError('malformed', 'invalid Content-Length')
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new RequestError('malformed', 'invalid chunked body')
    case 'HPE_INVALID_HEADER_TOKEN':
      return new RequestError('malformed', 'invalid header')
    default:
      return new RequestError('malformed', 'the request could not be parsed')
  }
}

/** A whole HTTP/1.1 answer carrying `problem`, with `connection: close`. */
function rawAnswer(problem: ProblemDetails): string {
  const body = JSON.stringify(problem)
  return (
    `HTTP/1.1 ${problem.status} ${REASONS[problem.status] ?? 'Error'}\r\n` +
    'content-type: application/problem+json\r\n' +
    'cache-control: no-store\r\n' +
    'connection: close\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

/** A request being answered on a socket. */
export interface InFlight {
  req: IncomingMessage
  res: ServerResponse
}

/** Writes `refusal` through `res`, whose head is not sent yet. */
function answerThrough(res: ServerResponse, refusal: RequestError): void {
  const body = JSON.stringify(refusal.toProblem())
  res.writeHead(refusal.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    connection: 'close',
  })
  res.end(body)
}

/**
 * Answers a `clientError` on `socket`. An error inside the request being answered (its body
 * too slow or badly framed) is answered through its response while its head is unsent; an
 * error in a later, pipelined request is answered on the socket after the earlier answer; with
 * no request in flight the problem is written to the socket directly. Once a head of the
 * failing request was sent (or the socket cannot be written), the socket is destroyed. Either
 * way the connection closes, at most {@link LINGER_MS} after the answer is due.
 */
export function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Duplex,
  inFlight: InFlight | undefined,
): void {
  const { req, res } = inFlight ?? {}
  const earlier = req?.complete === true && res?.writableFinished === false
  if (!socket.writable || socket.destroyed || (!earlier && res?.headersSent === true)) {
    socket.destroy()
    return
  }
  const refusal = clientErrorOf(error.code)
  const linger = (): void => {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS)
    timer.unref()
    socket.once('close', () => clearTimeout(timer))
  }
  if (earlier) {
    res?.once('finish', () => {
      linger()
      socket.end(rawAnswer(refusal.toProblem()))
    })
    return
  }
  linger()
  if (res !== undefined) {
    answerThrough(res, refusal)
    return
  }
  socket.end(rawAnswer(refusal.toProblem()))
}
