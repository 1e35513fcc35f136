/**
 * The token service's issuer (`iss`): given, or `http://<host>:<port>` only where that is
 * stable (a fixed port, a named interface, one instance on its own SQLite file).
 *
 * @module
 */
import { CliError, EXIT } from '../cli-error.ts'

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', ''])

/** Checks `--issuer`, or derives the default and refuses where it would not be stable. */
export function resolveIssuer(
  issuer: string | undefined,
  where: { host: string; port: number; shared: boolean },
): string {
  if (issuer !== undefined) {
    let url: URL
    try {
      url = new URL(issuer)
    } catch {
      throw new CliError(
        EXIT.usage,
        '--issuer must be an absolute URL such as https://tokens.example',
      )
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
      throw new CliError(EXIT.usage, '--issuer must be an http(s) URL without credentials')
    }
    return issuer
  }
  const because =
    where.port === 0
      ? 'with --port 0 the port, and so a default issuer, changes on every start'
      : where.shared
        ? 'instances sharing a Redis store must share one issuer'
        : WILDCARD_HOSTS.has(where.host)
          ? `--host ${where.host || '""'} is not an address clients use`
          : undefined
  if (because !== undefined) {
    throw new CliError(
      EXIT.usage,
      `--issuer is required: ${because}, and every token issued before would be refused`,
    )
  }
  const host = where.host.includes(':') ? `[${where.host}]` : where.host
  return `http://${host}:${where.port}`
}
