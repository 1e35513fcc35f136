/**
 * The HTTP message view that RFC 9421 components are taken from. It carries every field line,
 * so duplicates stay visible, and works for requests and responses alike.
 *
 * @module
 */
import { RequestError } from '../errors.ts'

/** One HTTP field line, `[name, value]`. Names compare case-insensitively. */
export type FieldLine = readonly [name: string, value: string]

/**
 * An HTTP message as RFC 9421 sees it. A message is a response when `status` is set, else a
 * request (then `method` and `url` are required).
 *
 * `headers` may be a Fetch `Headers` (which already joins repeated fields with `", "`, so `;bs`
 * sees one line) or the raw field lines in order (what a Node adapter gets from `rawHeaders`).
 *
 * @example
 * ```ts
 * const message: HttpMessage = {
 *   method: 'POST',
 *   url: 'https://example.com/foo?param=Value&Pet=dog',
 *   headers: [['Host', 'example.com'], ['Content-Type', 'application/json']],
 * }
 * ```
 */
export interface HttpMessage {
  /** The request method, as sent (case-sensitive). Requests only. */
  method?: string
  /** The absolute target URI. Requests only. A fragment and any userinfo are ignored. */
  url?: string | URL
  /**
   * The request target as written on the request line, when it was not the origin form of `url`
   * (absolute form, `CONNECT` authority form, `OPTIONS *`). Defaults to path and query of `url`.
   */
  requestTarget?: string
  /** The response status code. Responses only. */
  status?: number
  /** The fields: a `Headers` object or the field lines in order. */
  headers: Headers | readonly FieldLine[]
  /** For a response: the request it answers, read by components with `;req`. */
  request?: HttpMessage
}

/** A message prepared for component lookup. Internal to the http-signatures modules. */
export interface MessageView {
  readonly isResponse: boolean
  readonly method: string | undefined
  readonly status: number | undefined
  /** Field values per line (raw, not yet canonicalised), or `undefined` when absent. */
  field(name: string): readonly string[] | undefined
  /** Target URI parts; throws when the message is not a request with a URL. */
  target(): TargetParts
  readonly request: MessageView | undefined
}

/** The derived parts of a request's target URI. */
export interface TargetParts {
  readonly url: URL
  /** scheme://authority/path?query, without fragment or userinfo. */
  readonly targetUri: string
  readonly authority: string
  readonly scheme: string
  /** Path and query as on the request line (origin form), or the explicit request target. */
  readonly requestTarget: string
  readonly path: string
  /** The query with its leading `?`; `?` alone when there is none. */
  readonly query: string
}

/** Builds the lookup view of a message. */
export function toMessageView(message: HttpMessage): MessageView {
  if (message === null || typeof message !== 'object') {
    throw new TypeError('expected an HTTP message object')
  }
  const { headers } = message
  let field: (name: string) => readonly string[] | undefined
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    field = (name) => {
      const value = headers.get(name)
      return value === null ? undefined : [value]
    }
  } else if (Array.isArray(headers)) {
    let index: Map<string, string[]> | undefined
    field = (name) => {
      if (index === undefined) {
        index = indexFieldLines(headers as readonly FieldLine[])
      }
      return index.get(name)
    }
  } else {
    throw new TypeError(
      'expected message.headers to be a Headers object or an array of [name, value] lines',
    )
  }
  const isResponse = message.status !== undefined
  let target: TargetParts | undefined
  let request: MessageView | undefined
  return {
    isResponse,
    method: message.method,
    status: message.status,
    field,
    target() {
      if (target === undefined) {
        target = targetParts(message)
      }
      return target
    },
    get request() {
      if (request === undefined && message.request !== undefined) {
        request = toMessageView(message.request)
      }
      return request
    },
  }
}

/** Groups field lines by lowercased name, keeping their order. */
export function indexFieldLines(lines: readonly FieldLine[]): Map<string, string[]> {
  const index = new Map<string, string[]>()
  for (const line of lines) {
    if (!Array.isArray(line) || typeof line[0] !== 'string' || typeof line[1] !== 'string') {
      throw new TypeError('expected each field line to be a [name, value] pair of strings')
    }
    const name = line[0].toLowerCase()
    const values = index.get(name)
    if (values === undefined) {
      index.set(name, [line[1]])
    } else {
      values.push(line[1])
    }
  }
  return index
}

function targetParts(message: HttpMessage): TargetParts {
  if (message.url === undefined) {
    throw new RequestError('malformed', 'the message has no target URI')
  }
  let url: URL
  try {
    url = typeof message.url === 'string' ? new URL(message.url) : message.url
  } catch (cause) {
    throw new RequestError('malformed', 'the target URI is not a valid absolute URL', { cause })
  }
  let href = url.href
  const hash = href.indexOf('#')
  if (hash >= 0) {
    href = href.slice(0, hash)
  }
  const authority = url.host
  const origin = `${url.protocol}//${authority}`
  if (url.username !== '' || url.password !== '') {
    const at = href.indexOf('@')
    href = origin + href.slice(href.indexOf('/', at))
  }
  let originForm: string
  if (href.startsWith(origin)) {
    originForm = href.slice(origin.length)
  } else {
    originForm = url.pathname + url.search
  }
  const q = originForm.indexOf('?')
  const path = q < 0 ? originForm : originForm.slice(0, q)
  return {
    url,
    targetUri: href,
    authority,
    scheme: url.protocol.slice(0, -1),
    requestTarget: message.requestTarget ?? originForm,
    path: path === '' ? '/' : path,
    query: q < 0 ? '?' : originForm.slice(q),
  }
}
