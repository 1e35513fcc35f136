/**
 * Turning a failed `listen` into one clear start-up error.
 *
 * @module
 */
import { CliError, EXIT } from '../cli-error.ts'

/** A start-up `CliError` for a listen failure on `host:port` (in use, not permitted, …). */
export function listenError(error: unknown, host: string, port: number): CliError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const where = `${host}:${port}`
  if (code === 'EADDRINUSE') {
    return new CliError(EXIT.startup, `cannot listen on ${where}: the port is in use`)
  }
  if (code === 'EACCES') {
    return new CliError(EXIT.startup, `cannot listen on ${where}: permission denied`)
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new CliError(EXIT.startup, `cannot listen on ${where}: no such local address`)
  }
  const reason = error instanceof Error ? error.message : String(error)
  return new CliError(EXIT.startup, `cannot listen on ${where}: ${reason}`)
}
