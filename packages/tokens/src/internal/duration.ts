/**
 * Durations: a number of milliseconds, or a string such as `'30m'`, `'12h'`, `'7d'`.
 *
 * @module
 */

/** A duration: milliseconds as a number, or `<integer><unit>` with unit `ms`, `s`, `m`, `h` or `d`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

/**
 * The longest duration accepted: 100 years, so that now + a duration is always a valid `Date`
 * (JavaScript dates end in the year 275760) and never reads as "never expires".
 */
export const MAX_DURATION_MS = 36_500 * 86_400_000

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Converts a {@link Duration} to milliseconds.
 *
 * @throws `TypeError` when the value is not a positive, finite, whole duration.
 * @throws `RangeError` when it is longer than {@link MAX_DURATION_MS} (100 years).
 */
export function toMs(value: Duration, name: string): number {
  let ms: number
  if (typeof value === 'number') {
    ms = value
  } else if (typeof value === 'string') {
    const match = /^(\d{1,12})(ms|s|m|h|d)$/.exec(value)
    if (match === null) {
      throw new TypeError(
        `expected ${name} to be a duration such as '30m', got ${JSON.stringify(value)}`,
      )
    }
    ms = Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1)
  } else {
    throw new TypeError(`expected ${name} to be a number of milliseconds or a string such as '30m'`)
  }
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new TypeError(
      `expected ${name} to be a positive whole number of milliseconds, got ${String(value)}`,
    )
  }
  if (ms > MAX_DURATION_MS) {
    throw new RangeError(`expected ${name} to be at most 36500 days (100 years)`)
  }
  return ms
}

/** The default clock tolerance for token times, in milliseconds. */
export const DEFAULT_CLOCK_TOLERANCE_MS = 30_000

/** The default longest token accepted, in characters. */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192

/** Converts a clock tolerance option (0 allowed) to milliseconds. */
export function toleranceToMs(value: Duration | undefined): number {
  if (value === undefined) {
    return DEFAULT_CLOCK_TOLERANCE_MS
  }
  return value === 0 ? 0 : toMs(value, 'clockTolerance')
}
