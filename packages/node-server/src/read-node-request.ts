/// <reference types="node" />
/**
 * Checking a `node:http` request and reading its body with a cap.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { RequestError } from '@countersign/core'
import { CONTENT_LENGTH } from './internal/content-length.ts'
import { readNodeBody } from './read-node-body.ts'
import type { NodeListenerOptions, NodeRequestParts } from './types.ts'

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

/** Methods `new Request` refuses; refused here before the body is read. */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK'])

/**
 * Checks a `node:http` request and reads its body, the first half of {@link toWebRequest}, for
 * listeners that do not need a Web `Request`. Refused with a `RequestError`: a repeated
 * single-valued header (`Host`, `Content-Type`, `Content-Length`, `Authorization`,
 * `Transfer-Encoding`, `Origin` and the token headers; Node keeps only the first, so the raw
 * lines are checked), a target that is not a path (absolute-form, asterisk-form, `//`), a missing
 * or invalid `Host` when no origin is configured, a target that does not make a URL,
 * `CONNECT`/`TRACE`/`TRACK`, an invalid `Content-Length`, and a body over `maxBodyBytes`
 * (`body_too_large`, before reading when the length is declared).
 *
 * @example
 * ```ts
 * const parts = await readNodeRequest(req, { maxBodyBytes: 64 * 1024 })
 * if (parts instanceof RequestError) return sendProblem(res, parts, true)
 * ```
 *
 * @throws never: every refusal is returned as a `RequestError`.
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
    try {
      body = await readNodeBody(req, maxBodyBytes)
    } catch (error) {
      return error instanceof RequestError
        ? error
        : new RequestError('malformed', 'could not read the request body')
    }
  }
  return { method, target, url, body }
}
