/**
 * What every framework adapter shares: options split and checked once, the compiled policy, the
 * request URL built from a configured origin (never from a client's `Host` alone), and the
 * RFC 9457 answers. Web APIs only; the Node-specific parts live in `src/adapters/`.
 *
 * @module
 */
import {
  createMemoryStore,
  internalProblem,
  isCountersignError,
  RequestError,
} from '@countersign/core'
import {
  acceptSignatureFor,
  compilePolicy,
  completeVerification,
  type Policy,
  type Prepared,
  prepareVerification,
  type Target,
} from '../create-verifier.ts'
import type { VerifiedRequest, VerifyRequestOptions } from '../types.ts'
import type { Fields } from './fields.ts'

/** A checked origin: `https://api.example.com` and its parts. */
interface Origin {
  /** Serialised origin, e.g. `https://api.example.com` (lowercase, no default port). */
  readonly origin: string
  readonly scheme: 'http' | 'https'
}

/** An RFC 9457 answer, ready for any framework to send. */
export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The JSON text: `{type, title, status, code}` and nothing else. */
  readonly body: string
}

/** The shared part of an adapter, compiled once from its options. */
export interface AdapterCore {
  readonly policy: Policy
  /** The largest body read, in bytes. */
  readonly maxBodyBytes: number
  /** Whether an origin was configured (`target` needs one). */
  readonly hasOrigin: boolean
  /**
   * The target of a request from its request line target and `Host` value.
   *
   * @throws RequestError `malformed` for an unsupported target form, a target on another origin,
   *   or (with several origins) a `Host` that names none of them.
   */
  target(method: string, rawTarget: string, host: string | null): Target
  /** Replaces the origin of a full URL with the configured one (Fetch-style platforms). */
  retarget(method: string, url: string, host: string | null): Target
  /** Checks that the request is signed and parses its signature fields (no body needed). */
  prepare(fields: Fields): Prepared
  /** Verifies a prepared request over its body. */
  complete(prepared: Prepared, target: Target, body: Uint8Array): Promise<VerifiedRequest>
  /**
   * The answer for a refusal, or `undefined` when `error` is not a Countersign error (a bug or
   * a misconfiguration, for the framework's own error handling).
   */
  answer(error: unknown, hasBody: boolean, hasType: boolean): Answer | undefined
}

const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/
const ABSOLUTE_FORM = /^https?:\/\//i

function parseOrigins(value: unknown, what: string): Origin[] | undefined {
  if (value === undefined) {
    return undefined
  }
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(`${what}: origin must be an origin string or a non-empty array of them`)
  }
  return list.map((text: unknown) => {
    let url: URL
    try {
      url = new URL(text as string)
    } catch {
      throw new TypeError(`${what}: origin ${JSON.stringify(text)} is not a URL`)
    }
    if (
      typeof text !== 'string' ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.username !== '' ||
      url.password !== '' ||
      url.pathname !== '/' ||
      url.search !== '' ||
      url.hash !== '' ||
      /^https?:\/\/[^/]*\/./i.test(text)
    ) {
      throw new TypeError(
        `${what}: origin ${JSON.stringify(text)} must be scheme://host[:port] (http or https, no path)`,
      )
    }
    return { origin: url.origin, scheme: url.protocol === 'https:' ? 'https' : 'http' }
  })
}

/**
 * Splits adapter options into the verifier's and the adapter's own, checks them, and compiles
 * the policy once. `extraKeys` are the adapter's own option names (besides `origin`).
 *
 * @throws `TypeError` for an invalid option, or a missing `origin` when `requireOrigin`.
 */
export function createAdapterCore(
  options: unknown,
  what: string,
  extraKeys: readonly string[],
  requireOrigin: boolean,
): { core: AdapterCore; extras: Record<string, unknown> } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${what} options must be an object`)
  }
  const verifierOptions: Record<string, unknown> = {}
  const extras: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) {
    if (key === 'origin' || extraKeys.includes(key)) {
      extras[key] = value
    } else if (key === 'fieldLines') {
      throw new TypeError(`${what}: fieldLines is read from each request, not configured`)
    } else {
      verifierOptions[key] = value
    }
  }
  const origins = parseOrigins(extras.origin, what)
  if (origins === undefined && requireOrigin) {
    throw new TypeError(
      `${what}: origin is required (the public origin clients sign for, e.g. 'https://api.example.com'); a client's Host header is never trusted on its own`,
    )
  }
  const policy = compilePolicy(verifierOptions as unknown as VerifyRequestOptions, () =>
    createMemoryStore(),
  )
  return { core: adapterCore(policy, origins), extras }
}

/**
 * Whether `raw` (path and query as received) is exactly what URL parsing makes of it: no dot
 * segments, backslashes or characters the parser would encode. A `#fragment` is ignored.
 */
function isNormalForm(url: URL, raw: string): boolean {
  const hash = raw.indexOf('#')
  const received = hash < 0 ? raw : raw.slice(0, hash)
  let href = url.href
  const h = href.indexOf('#')
  if (h >= 0) {
    href = href.slice(0, h)
  }
  return href.slice(url.origin.length) === received
}

function pickOrigin(origins: readonly Origin[], host: string | null): Origin {
  if (origins.length === 1) {
    return origins[0] as Origin
  }
  if (host === null || !HOST.test(host)) {
    throw new RequestError('malformed', 'the Host header is missing or invalid')
  }
  for (const origin of origins) {
    let candidate: string
    try {
      candidate = new URL(`${origin.scheme}://${host}/`).origin
    } catch {
      continue
    }
    if (candidate === origin.origin) {
      return origin
    }
  }
  throw new RequestError('malformed', 'the Host header names no origin this server serves')
}

function adapterCore(policy: Policy, origins: readonly Origin[] | undefined): AdapterCore {
  const originTarget = (
    method: string,
    pathAndQuery: string,
    host: string | null,
    strict: boolean,
  ): Target => {
    if (origins === undefined) {
      throw new TypeError('no origin configured')
    }
    const origin = pickOrigin(origins, host)
    let url: URL
    try {
      url = new URL(origin.origin + pathAndQuery)
    } catch {
      throw new RequestError('malformed', 'the request target is not a valid path')
    }
    if (url.origin !== origin.origin) {
      throw new RequestError('malformed', 'the request target is not a valid path')
    }
    if (strict && !isNormalForm(url, pathAndQuery)) {
      // `/x/../admin` verifies as `/admin` but a router may see `/x/..`: what is verified must
      // be what the application routes, so only a target already in URL normal form is taken.
      throw new RequestError('malformed', 'the request target is not in normal form')
    }
    return { method, url }
  }
  return {
    policy,
    maxBodyBytes: policy.maxBodyBytes,
    hasOrigin: origins !== undefined,
    target(method, rawTarget, host) {
      if (rawTarget.startsWith('/')) {
        return originTarget(method, rawTarget, host, true)
      }
      if (origins !== undefined && ABSOLUTE_FORM.test(rawTarget)) {
        // Absolute form (RFC 9112 §3.2.2): its authority replaces Host, and must be ours.
        let url: URL
        try {
          url = new URL(rawTarget)
        } catch {
          throw new RequestError('malformed', 'the request target is not a valid URL')
        }
        if (!origins.some((o) => o.origin === url.origin)) {
          throw new RequestError('malformed', 'the request target names another origin')
        }
        if (!isNormalForm(url, rawTarget.slice(url.origin.length))) {
          throw new RequestError('malformed', 'the request target is not in normal form')
        }
        return { method, url, requestTarget: rawTarget }
      }
      throw new RequestError('malformed', 'the request target form is not supported')
    },
    retarget(method, full, host) {
      if (origins === undefined) {
        return { method, url: full }
      }
      let url: URL
      try {
        url = new URL(full)
      } catch {
        throw new RequestError('malformed', 'the request URL is not valid')
      }
      // The platform parsed the URL already: its path and query are in normal form.
      const href = url.href
      const hash = href.indexOf('#')
      return originTarget(
        method,
        (hash < 0 ? href : href.slice(0, hash)).slice(url.origin.length),
        host,
        false,
      )
    },
    prepare: prepareVerification,
    complete(prepared, target, body) {
      if (body.length > policy.maxBodyBytes) {
        throw new RequestError(
          'body_too_large',
          `the body is larger than ${policy.maxBodyBytes} bytes`,
        )
      }
      return completeVerification(policy, prepared, target, body)
    },
    answer(error, hasBody, hasType) {
      if (!isCountersignError(error)) {
        return undefined
      }
      const { type, title, status, code } = error.toProblem()
      const headers: Record<string, string> = {
        'content-type': 'application/problem+json',
        'cache-control': 'no-store',
      }
      if (status === 401) {
        headers['accept-signature'] = acceptSignatureFor(policy, hasBody, hasType)
      }
      if (status === 413) {
        // The rest of the body is unread: do not reuse the connection for another request.
        headers.connection = 'close'
      }
      return { status, headers, body: JSON.stringify({ type, title, status, code }) }
    },
  }
}

/** The answer for an error that is not a Countersign error: a bare 500, no detail. */
export const INTERNAL_ANSWER: Answer = {
  status: 500,
  headers: {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
    connection: 'close',
  },
  body: JSON.stringify(internalProblem()),
}
