/** @internal @module */
import { pathIsUnambiguous } from './path-is-unambiguous.ts'

/** The exact origin and path prefix of a base URL, or an issue. */
export function parseBaseUrl(
  text: string,
): { url: URL; origin: string; prefix: string } | { error: string } {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { error: 'must be an https URL without userinfo' }
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username !== '' ||
    url.password !== '' ||
    /^[a-z][a-z0-9+.-]*:\/*[^/?#]*@/i.test(text.trim())
  ) {
    return { error: 'must be an https URL without userinfo' }
  }
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    return { error: 'must not have a query or fragment' }
  }
  if (/%2f|%5c/i.test(url.pathname)) {
    return { error: 'must not contain an encoded slash or backslash in its path' }
  }
  if (!pathIsUnambiguous(url.pathname) || /\\|%2e/i.test(text)) {
    return {
      error:
        'must not have a path segment that servers normalise differently (";", "..;", encoded dots, "%25")',
    }
  }
  const prefix = url.pathname.replace(/\/+$/, '')
  return { url, origin: url.origin, prefix }
}
