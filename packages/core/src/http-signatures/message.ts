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
  if (typeof Headers !== 'undefined' && headers instanceof Headers) {
    return new View(message, headers, undefined)
  }
  if (Array.isArray(headers)) {
    return new View(message, undefined, headers as readonly FieldLine[])
  }
  throw new TypeError(
    'expected message.headers to be a Headers object or an array of [name, value] lines',
  )
}

/** The view: one object per message, fields indexed and the target parsed on first use. */
class View implements MessageView {
  readonly isResponse: boolean
  readonly method: string | undefined
  readonly status: number | undefined
  readonly #message: HttpMessage
  readonly #headers: Headers | undefined
  readonly #lines: readonly FieldLine[] | undefined
  #index: FieldIndex | undefined
  #target: TargetParts | undefined
  #request: MessageView | undefined

  constructor(
    message: HttpMessage,
    headers: Headers | undefined,
    lines: readonly FieldLine[] | undefined,
  ) {
    this.#message = message
    this.#headers = headers
    this.#lines = lines
    this.isResponse = message.status !== undefined
    this.method = message.method
    this.status = message.status
  }

  field(name: string): readonly string[] | undefined {
    if (this.#headers !== undefined) {
      const value = this.#headers.get(name)
      return value === null ? undefined : [value]
    }
    this.#index ??= new FieldIndex(this.#lines as readonly FieldLine[])
    return this.#index.get(name)
  }

  target(): TargetParts {
    this.#target ??= targetParts(this.#message)
    return this.#target
  }

  get request(): MessageView | undefined {
    if (this.#request === undefined && this.#message.request !== undefined) {
      this.#request = toMessageView(this.#message.request)
    }
    return this.#request
  }
}

/** Up to this many distinct names, a lookup scans an array: cheaper to build than a `Map`. */
const SMALL_INDEX = 24

/** Field lines grouped by lowercased name, keeping their order. */
class FieldIndex {
  readonly #names: string[] = []
  readonly #values: string[][] = []
  #map: Map<string, string[]> | undefined

  constructor(lines: readonly FieldLine[]) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]
      if (!Array.isArray(line) || typeof line[0] !== 'string' || typeof line[1] !== 'string') {
        throw new TypeError('expected each field line to be a [name, value] pair of strings')
      }
      const name = line[0].toLowerCase()
      const values = this.get(name)
      if (values !== undefined) {
        values.push(line[1])
      } else if (this.#map !== undefined) {
        this.#map.set(name, [line[1]])
      } else {
        this.#names.push(name)
        this.#values.push([line[1]])
        if (this.#names.length > SMALL_INDEX) {
          this.#map = new Map()
          for (let j = 0; j < this.#names.length; j++) {
            this.#map.set(this.#names[j] as string, this.#values[j] as string[])
          }
        }
      }
    }
  }

  /** The values of `name` (lowercase), one per line, or `undefined` when absent. */
  get(name: string): string[] | undefined {
    if (this.#map !== undefined) {
      return this.#map.get(name)
    }
    const names = this.#names
    for (let j = 0; j < names.length; j++) {
      if (names[j] === name) {
        return this.#values[j]
      }
    }
    return undefined
  }
}

/** The parts of a URL that do not depend on the message (everything but `requestTarget`). */
interface UrlParts extends TargetParts {
  /** Path and query (origin form): `requestTarget` unless the message names another. */
  readonly originForm: string
}

/** Parsed URL strings, most recent last: a client or server sees the same URLs again and again. */
const urlCache = new Map<string, UrlParts>()
const URL_CACHE_SIZE = 256
const URL_CACHE_MAX_LENGTH = 2048

function targetParts(message: HttpMessage): TargetParts {
  if (message.url === undefined) {
    throw new RequestError('malformed', 'the message has no target URI')
  }
  const parts = urlParts(message.url)
  if (message.requestTarget === undefined) {
    return parts // read only by the component code, never handed out
  }
  return {
    targetUri: parts.targetUri,
    authority: parts.authority,
    scheme: parts.scheme,
    requestTarget: message.requestTarget ?? parts.originForm,
    path: parts.path,
    query: parts.query,
  }
}

function urlParts(input: string | URL): UrlParts {
  const cacheable = typeof input === 'string' && input.length <= URL_CACHE_MAX_LENGTH
  if (cacheable) {
    const hit = urlCache.get(input)
    if (hit !== undefined) {
      return hit
    }
  }
  let url: URL
  try {
    url = typeof input === 'string' ? new URL(input) : input
  } catch (cause) {
    throw new RequestError('malformed', 'the target URI is not a valid absolute URL', { cause })
  }
  if (!(url instanceof URL)) {
    throw new TypeError('expected message.url to be a string or a URL')
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
  const parts: UrlParts = {
    targetUri: href,
    authority,
    scheme: url.protocol.slice(0, -1),
    originForm,
    requestTarget: originForm,
    path: path === '' ? '/' : path,
    query: q < 0 ? '?' : originForm.slice(q),
  }
  if (cacheable) {
    if (urlCache.size >= URL_CACHE_SIZE) {
      urlCache.delete(urlCache.keys().next().value as string)
    }
    urlCache.set(input, parts)
  }
  return parts
}
