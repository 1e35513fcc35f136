/**
 * The current time as an ISO 8601 string (`Date#toISOString`), formatted once per
 * millisecond: a busy relay stamps many requests within the same millisecond.
 *
 * @internal
 * @module
 */

let lastMs = Number.NaN
let lastText = ''

/** `new Date().toISOString()`, reusing the text while the millisecond is the same. */
export function isoNow(): string {
  const now = Date.now()
  if (now !== lastMs) {
    lastMs = now
    lastText = new Date(now).toISOString()
  }
  return lastText
}
