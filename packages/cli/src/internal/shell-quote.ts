/**
 * POSIX shell quoting for printed curl commands.
 *
 * @module
 */

/** `text` in single quotes, with every `'` written as `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`
}
