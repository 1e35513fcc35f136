/**
 * The relay's own `node:http` listener: the checks of `readNodeRequest` from
 * `@countersign/node-server` (the same as `toWebRequest`'s: duplicate single-valued headers,
 * absolute-form targets, `Host`, `Content-Length` and the hard body cap, each a problem+json 4xx
 * with `connection: close`), then the relay's core called with the `IncomingMessage` itself,
 * and its answer written with `writeHead`/`end`: no Web `Request`, `Headers`, stream or
 * `Response` per request. The answer is the one the Web handler would give through
 * `createNodeListener` (same status, headers, body; `content-length` set except on 204/304; no
 * body to `HEAD`).
 *
 * @internal
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { RequestError } from '@countersign/core'
import { type NodeListenerOptions, readNodeRequest, sendProblem } from '@countersign/node-server'
import { checkReadBody } from '../internal/http.ts'
import type { RelayCore, RelayInput } from '../internal/relay-input.ts'

const EMPTY = new Uint8Array(0)
const RELAY_PATH = '/secure-request'

/** The path of a checked request; the relay's own route needs no URL parse. */
function pathnameOf(target: string, url: string): string {
  return target === RELAY_PATH ? target : new URL(url).pathname
}

/** A header of a request whose single-valued headers were checked: joined like `Headers.get`. */
function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name]
  if (value === undefined) {
    return null
  }
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * A `node:http` listener that serves the relay's core directly.
 *
 * @internal
 */
export function createRelayNodeListener(
  core: RelayCore,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const accepted = await readNodeRequest(req, options)
    if (accepted instanceof RequestError) {
      sendProblem(res, accepted, true)
      return
    }
    const { body } = accepted
    const input: RelayInput = {
      method: accepted.method,
      pathname: pathnameOf(accepted.target, accepted.url),
      header: (name) => headerOf(req, name),
      readBody: async (maxBytes) =>
        checkReadBody(headerOf(req, 'content-length'), body ?? EMPTY, maxBytes),
    }
    let answer: Awaited<ReturnType<RelayCore>>
    try {
      answer = await core(input)
    } catch {
      sendProblem(res, undefined, true)
      return
    }
    let out: Uint8Array
    if (accepted.method === 'HEAD' || answer.body === null) {
      out = EMPTY
    } else if (typeof answer.body === 'string') {
      out = Buffer.from(answer.body, 'utf8')
    } else {
      out = answer.body
    }
    const headers = answer.headers
    if (answer.status !== 204 && answer.status !== 304) {
      headers['content-length'] = String(out.byteLength)
    }
    res.writeHead(answer.status, headers)
    res.end(out)
  }
  return (req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) {
        res.statusCode = 500
      }
      res.end()
    })
  }
}
