/**
 * Matching a requested URL against the registered targets: exact origin (scheme, host and
 * port, default ports normalised, no userinfo) and a path prefix on a segment boundary, both
 * compared after WHATWG URL parsing. The URL to forward to is then built from the registered
 * origin plus the validated path and query, never from the caller's text.
 *
 * @module
 */
import { AuthError, RequestError } from '@countersign/core'
import { parseBaseUrl, pathIsUnambiguous } from '../config/validate-relay-config.ts'
import { hostRefusal } from '../ssrf/parse-host.ts'

/** A target as the matcher sees it. */
export interface MatchableTarget {
  /** The target id. */
  id: string
  /** The registered base URL. */
  baseUrl: string
  /** Whether private addresses are allowed for it. */
  allowPrivateNetwork?: boolean
}

/** A compiled registry from {@link createTargetMatcher}. */
export interface TargetMatcher<T extends MatchableTarget> {
  /**
   * The target a requested URL belongs to, and the URL to forward to.
   *
   * @throws {@link @countersign/core!RequestError} `malformed` (400) when `url` is not an absolute URL string.
   * @throws {@link @countersign/core!AuthError} `target_forbidden` (403) when no target matches.
   */
  match(url: unknown): { target: T; url: URL }
}

const MAX_URL_LENGTH = 8 * 1024

interface Entry<T> {
  target: T
  origin: string
  prefix: string
}

function forbidden(message: string): AuthError {
  return new AuthError('target_forbidden', message)
}

/**
 * Compiles the registered targets into a matcher. When several targets share an origin, the
 * longest matching path prefix wins.
 *
 * @example
 * ```ts
 * const matcher = createTargetMatcher([{ id: 'orders', baseUrl: 'https://api.example.com/v1' }])
 * matcher.match('https://api.example.com/v1/orders?id=7').url.href
 * // 'https://api.example.com/v1/orders?id=7'
 * matcher.match('https://api.example.com/v1x') // throws target_forbidden
 * ```
 *
 * @throws `TypeError` when a base URL is invalid (validate the config first).
 */
export function createTargetMatcher<T extends MatchableTarget>(
  targets: readonly T[],
): TargetMatcher<T> {
  const entries: Entry<T>[] = targets.map((target) => {
    const parsed = parseBaseUrl(target.baseUrl)
    if ('error' in parsed) {
      throw new TypeError(`target ${target.id}: baseUrl ${parsed.error}`)
    }
    return { target, origin: parsed.origin, prefix: parsed.prefix }
  })
  // Longest prefix first.
  entries.sort((a, b) => b.prefix.length - a.prefix.length)

  return {
    match(input) {
      if (typeof input !== 'string' || input.length === 0) {
        throw new RequestError('malformed', 'url must be a non-empty string')
      }
      if (input.length > MAX_URL_LENGTH) {
        throw new RequestError('malformed', `url is longer than ${MAX_URL_LENGTH} characters`)
      }
      let url: URL
      try {
        url = new URL(input)
      } catch {
        throw new RequestError('malformed', 'url is not an absolute URL')
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw forbidden('only http and https targets can be relayed')
      }
      if (
        url.username !== '' ||
        url.password !== '' ||
        /^[a-z][a-z0-9+.-]*:\/*[^/?#]*@/i.test(input.trim())
      ) {
        throw forbidden('the url must not contain userinfo')
      }
      if (!pathIsUnambiguous(url.pathname)) {
        throw forbidden(
          'the url path has a segment servers read differently (";", an encoded dot, slash, backslash or "%")',
        )
      }
      const { origin, pathname } = url
      for (const entry of entries) {
        if (entry.origin !== origin) {
          continue
        }
        if (
          entry.prefix === '' ||
          pathname === entry.prefix ||
          pathname.startsWith(`${entry.prefix}/`)
        ) {
          // The URL parsed above, without its fragment (an empty `#` too): its origin is the
          // target's own. (`#` can only start a fragment; elsewhere it is percent-encoded.)
          if (input.includes('#')) {
            url.hash = ''
          }
          return { target: entry.target, url }
        }
      }
      const refusal = hostRefusal(url.hostname)
      throw forbidden(
        refusal === undefined
          ? 'the url is not a registered target'
          : `the url is not a registered target (${refusal})`,
      )
    },
  }
}
