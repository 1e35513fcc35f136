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
  /** The `Host` values that name it (lowercase): `host`, and `host:443` for a default port. */
  readonly hosts: readonly string[]
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
   *   or a missing `Host`, or one (or a forwarded host) naming another origin.
   */
  target(method: string, rawTarget: string, fields: Fields): Target
  /**
   * Replaces the origin of a full URL with the configured one (Fetch-style platforms); a `Host`
   * field, when the platform passes one, must name the origin as for {@link AdapterCore.target}.
   */
  retarget(method: string, url: string, fields: Fields): Target
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
    const scheme = url.protocol === 'https:' ? 'https' : 'http'
    const hosts =
      url.port === '' ? [url.host, `${url.host}:${scheme === 'https' ? 443 : 80}`] : [url.host]
    return { origin: url.origin, scheme, hosts }
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

/**
 * The configured origin the request's authority names: its `Host` (RFC 9110 §7.2), which must be
 * exactly one of the origin's own spellings (case aside: no trailing dot, leading zeros or other
 * IP spellings), and every `X-Forwarded-Host` and `Forwarded: host=` value, which must agree. A
 * handler never sees an authority nobody checked (issue #14).
 *
 * @throws RequestError `malformed` for a missing Host or one naming another authority.
 */
function pickOrigin(origins: readonly Origin[], fields: AuthorityFields): Origin {
  const host = fields.host
  if (host === null && !(fields.platform && origins.length === 1)) {
    throw new RequestError('malformed', 'the request has no Host header')
  }
  const origin = host === null ? (origins[0] as Origin) : originNamed(origins, host)
  for (const forwarded of forwardedHosts(fields)) {
    if (!origin.hosts.includes(forwarded.toLowerCase())) {
      throw new RequestError('malformed', 'a forwarded host names another origin')
    }
  }
  return origin
}

function originNamed(origins: readonly Origin[], host: string): Origin {
  const wanted = host.toLowerCase()
  for (const origin of origins) {
    if (origin.hosts.includes(wanted)) {
      return origin
    }
  }
  throw new RequestError('malformed', 'the Host header names no origin this server serves')
}

/** The fields that name a request's authority. */
interface AuthorityFields {
  /** The `Host` field; `null` is allowed (one origin) on a Fetch platform, which sets none. */
  readonly host: string | null
  readonly platform: boolean
  readonly forwardedHost: string | null
  readonly forwarded: string | null
}

function authorityOf(fields: Fields, platform = false): AuthorityFields {
  return {
    host: fields.get('host'),
    platform,
    forwardedHost: fields.get('x-forwarded-host'),
    forwarded: fields.get('forwarded'),
  }
}

/** The hosts named by `X-Forwarded-Host` and the `host=` parameters of `Forwarded`. */
function forwardedHosts(fields: AuthorityFields): string[] {
  const hosts: string[] = []
  if (fields.forwardedHost !== null) {
    for (const part of fields.forwardedHost.split(',')) {
      hosts.push(part.trim())
    }
  }
  if (fields.forwarded !== null) {
    for (const element of fields.forwarded.split(',')) {
      for (const pair of element.split(';')) {
        const eq = pair.indexOf('=')
        if (eq >= 0 && pair.slice(0, eq).trim().toLowerCase() === 'host') {
          hosts.push(
            pair
              .slice(eq + 1)
              .trim()
              .replace(/^"(.*)"$/, '$1'),
          )
        }
      }
    }
  }
  return hosts
}

function adapterCore(policy: Policy, origins: readonly Origin[] | undefined): AdapterCore {
  const originTarget = (
    method: string,
    pathAndQuery: string,
    authority: AuthorityFields,
    strict: boolean,
  ): Target => {
    if (origins === undefined) {
      throw new TypeError('no origin configured')
    }
    const origin = pickOrigin(origins, authority)
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
    target(method, rawTarget, fields) {
      if (rawTarget.startsWith('/')) {
        return originTarget(method, rawTarget, authorityOf(fields), true)
      }
      if (origins !== undefined && ABSOLUTE_FORM.test(rawTarget)) {
        // Absolute form (RFC 9112 §3.2.2): its authority replaces Host, and must be ours.
        let url: URL
        try {
          url = new URL(rawTarget)
        } catch {
          throw new RequestError('malformed', 'the request target is not a valid URL')
        }
        const origin = origins.find((o) => o.origin === url.origin)
        if (origin === undefined) {
          throw new RequestError('malformed', 'the request target names another origin')
        }
        // Its authority replaces Host, which must still agree: a handler reads Host.
        pickOrigin([origin], authorityOf(fields))
        if (!isNormalForm(url, rawTarget.slice(url.origin.length))) {
          throw new RequestError('malformed', 'the request target is not in normal form')
        }
        return { method, url, requestTarget: rawTarget }
      }
      throw new RequestError('malformed', 'the request target form is not supported')
    },
    retarget(method, full, fields) {
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
        authorityOf(fields, true),
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
