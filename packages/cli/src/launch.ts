/**
 * What every executable does: run the CLI on the process, then exit with its code.
 *
 * @module
 */
import { processIo } from './io.ts'
import { runCli } from './run-cli.ts'

/**
 * Runs `countersign` with `prefix` and the process's arguments, then exits. Exiting (rather
 * than waiting for the event loop to drain) bounds shutdown even when a client library keeps
 * a reconnect timer alive.
 */
export async function launch(prefix: readonly string[]): Promise<void> {
  let code: number
  try {
    code = await runCli([...prefix, ...process.argv.slice(2)], processIo())
  } catch (error) {
    process.stderr.write(`countersign: ${error instanceof Error ? error.message : String(error)}\n`)
    code = 1
  }
  process.exit(code)
}
