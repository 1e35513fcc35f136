/**
 * Redirects of credentialed requests. Every request the client signs or sends with a credential
 * goes out with `redirect: 'manual'`, because `fetch` itself strips only `Authorization` and
 * `Cookie` when it follows a redirect to another origin: an API key in a custom header, the
 * Icypeas headers, `Signature` / `Signature-Input` and the relay's session token would all go
 * along. The rules:
 *
 * - to the same origin (scheme, host and port): a new request is built for the new URL and
 *   signed again (a signature covers `@target-uri`, so the old one does not fit), with the
 *   method and body changed as `fetch` changes them (303, and 301/302 after a POST, become GET);
 * - to another origin, including `https:` -> `http:` on the same host: refused;
 * - a browser hides a manual redirect's target (an `opaqueredirect` answer): refused.
 *
 * @internal
 * @module
 */
import { ClientError } from '@countersign/core'

/** The statuses `fetch` follows. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])
/** The hop limit of `fetch`. */
export const MAX_REDIRECTS = 20
/** Headers `fetch` drops when a redirect turns the request into a GET without a body. */
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
  'content-digest',
  'repr-digest',
]

/** Whether `response` is a redirect answer, or a browser's opaque stand-in for one. */
export function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || REDIRECT_STATUSES.has(response.status)
}

/** One request of a chain of same-origin redirects, before it is signed. */
export interface Hop {
  url: string
  method: string
  headers: Headers
  body: Uint8Array<ArrayBuffer> | undefined
}

function refused(message: string): ClientError {
  return new ClientError('network_error', message, { retryable: false })
}

/**
 * The next hop after the redirect answer `response` to `hop`.
 *
 * @throws `ClientError` `network_error` (not retryable) for a redirect to another origin, one
 *   whose target is hidden (a browser), a bad `Location`, or more than {@link MAX_REDIRECTS}.
 */
export function nextHop(hop: Hop, response: Response, count: number): Hop | undefined {
  const location = response.headers.get('location')
  // A browser hides where a manual redirect goes (`opaqueredirect`): refused, never followed.
  const opaque = response.type === 'opaqueredirect'
  if (location === null && !opaque) {
    return undefined
  }
  const from = new URL(hop.url)
  let to: URL | undefined
  try {
    to = opaque ? undefined : new URL(location ?? '', from)
  } catch {
    to = undefined
  }
  if (to?.origin !== from.origin || to.username !== '' || to.password !== '') {
    throw refused('refused a redirect of a signed request to another origin')
  }
  if (count >= MAX_REDIRECTS) {
    throw refused(`more than ${MAX_REDIRECTS} redirects`)
  }
  const toGet =
    (response.status === 303 && hop.method !== 'GET' && hop.method !== 'HEAD') ||
    ((response.status === 301 || response.status === 302) && hop.method === 'POST')
  if (!toGet) {
    return { ...hop, url: to.href }
  }
  const headers = new Headers(hop.headers)
  for (const name of BODY_HEADERS) {
    headers.delete(name)
  }
  return { url: to.href, method: 'GET', headers, body: undefined }
}
