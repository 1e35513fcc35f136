/// <reference types="node" />
/**
 * Converting a `node:http` request to a Web `Request`.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { RequestError } from '@countersign/core'
import { fieldLinesOf } from './field-lines-of.ts'
import { readNodeRequest } from './read-node-request.ts'
import type { NodeListenerOptions } from './types.ts'
import { webRequestOf } from './web-request-of.ts'

/**
 * Converts a `node:http` request to a Web `Request`, or a `RequestError` saying why not: the
 * checks of {@link readNodeRequest}, then header values that a `Headers` refuses.
 *
 * @example
 * ```ts
 * const request = await toWebRequest(req, { origin: 'https://tokens.example' })
 * if (request instanceof RequestError) return sendProblem(res, request, true)
 * ```
 *
 * @throws never: every refusal is returned as a `RequestError`.
 */
export async function toWebRequest(
  req: IncomingMessage,
  options: NodeListenerOptions = {},
): Promise<Request | RequestError> {
  const parts = await readNodeRequest(req, options)
  if (parts instanceof RequestError) {
    return parts
  }
  return webRequestOf(parts.method, parts.url, fieldLinesOf(req), parts.body)
}
