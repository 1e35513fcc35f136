/**
 * Where a command reads and writes, so tests can run commands in-process.
 *
 * @module
 */

/** Streams, environment and stop signal of one run. */
export interface CliIo {
  /** Normal output. */
  stdout: { write(text: string | Uint8Array): unknown }
  /** Diagnostics and errors. */
  stderr: { write(text: string | Uint8Array): unknown }
  /** Input for commands that read it (`verify` without a file). */
  stdin: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>
  /** The environment (master key, secrets in configs). */
  env: Readonly<Record<string, string | undefined>>
  /** Stops a server command. Default: SIGINT or SIGTERM. */
  signal?: AbortSignal
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }
}
