/**
 * Loading a relay config for `relay check` and `relay serve`, as one start-up error line.
 *
 * @module
 */
import type { LoadedRelayConfig } from '@countersign/relay/node'
import { CliError, EXIT } from '../cli-error.ts'

/** Loads `file`; any problem is a start-up `CliError` naming the file, issues joined by `; `. */
export async function loadRelayConfigOrExit(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedRelayConfig> {
  const { loadRelayConfig } = await import('@countersign/relay/node')
  try {
    return await loadRelayConfig(file, { env })
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    const issues = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
    throw new CliError(EXIT.startup, `${file}: ${issues.join('; ')}`, { cause: error })
  }
}
