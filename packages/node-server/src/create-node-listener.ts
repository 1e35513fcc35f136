/// <reference types="node" />
/**
 * Serving a Web handler as a `node:http` listener.
 *
 * @module
 */
import { RequestError } from '@countersign/core'
import { annotateRequest } from './annotate-request.ts'
import { requestContext } from './internal/request-context.ts'
import { sendProblem } from './send-problem.ts'
import { toWebRequest } from './to-web-request.ts'
import type { NodeListener, NodeListenerOptions } from './types.ts'

/** The `code` of a problem+json answer, for the access log and metrics. */
function problemCodeOf(response: Response, body: Uint8Array): string | undefined {
  const type = response.headers.get('content-type') ?? ''
  if (!type.startsWith('application/problem+json') || body.byteLength > 16_384) {
    return undefined
  }
  try {
    const code = (JSON.parse(new TextDecoder().decode(body)) as { code?: unknown }).code
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
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
 *
 * @throws never: a handler that throws gives a 500 `internal_error` problem.
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
      if (response.status >= 400 && requestContext.getStore() !== undefined) {
        annotateRequest({ code: problemCodeOf(response, body) })
      }
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
