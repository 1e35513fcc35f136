/// <reference types="node" />
/**
 * The one JSON-lines logger of the Countersign services, on `pino`.
 *
 * @module
 */
import type { Logger, LoggerOptions } from './types.ts'

/** Field names whose values are never written, wherever they appear one level deep. */
const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'token',
  'accessToken',
  'refreshToken',
  'key',
  'apiKey',
  'masterKey',
  'secret',
  'password',
  'body',
  'headers',
]

/**
 * Creates a `pino` logger writing one JSON object per line (`time` in ISO 8601, `level` as a
 * name, `msg`) to `destination` (default standard error). Fields named like secrets
 * (`authorization`, `token`, `key`, `secret`, `password`, `body`, `headers`, ...) are replaced
 * by `"[redacted]"` at the top level and one level down, as a second line of defence: the
 * servers log ids, route patterns, statuses and codes only. `pino` is loaded only here.
 *
 * @example
 * ```ts
 * const logger = await createLogger({ level: 'info' })
 * await serveHandler(handler, { logger })
 * ```
 *
 * @throws `Error` from `pino` for an unknown level.
 */
export async function createLogger(options: LoggerOptions = {}): Promise<Logger> {
  const { pino } = await import('pino')
  const paths = SECRET_FIELDS.flatMap((name) => [name, `*.${name}`])
  const logger: Logger = pino(
    {
      level: options.level ?? 'info',
      base: options.name === undefined ? null : { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  )
  return logger
}
