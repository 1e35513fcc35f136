/** @internal @module */

/**
 * Whether every segment of a parsed pathname means the same to every server: after one
 * percent-decoding no segment is only dots and spaces (`.`, `..`, `...`, `.. `), holds a slash,
 * backslash, NUL, `;` (path parameters: Tomcat reads `..;` as `..`) or another `%`-escape (a
 * server that decodes twice).
 */
export function pathIsUnambiguous(pathname: string): boolean {
  for (const segment of pathname.split('/')) {
    let decoded = segment
    if (segment.includes('%')) {
      try {
        decoded = decodeURIComponent(segment)
      } catch {
        return false
      }
    }
    if (/^[.\s]+$/.test(decoded) || /[/\\\0;]|%[0-9a-f]{2}/i.test(decoded)) {
      return false
    }
  }
  return true
}
