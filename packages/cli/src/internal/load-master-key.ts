/**
 * The token service's master key: from `COUNTERSIGN_MASTER_KEY` or a key file created on first
 * run with mode 0600.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { CliError, EXIT } from '../cli-error.ts'

const KEY_SHAPE = /^[A-Za-z0-9_-]{43}$/

function checked(key: string, from: string): string {
  if (!KEY_SHAPE.test(key)) {
    throw new CliError(EXIT.startup, `the master key in ${from} is not base64url of 32 bytes`)
  }
  return key
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      return undefined
    }
    throw new CliError(EXIT.startup, `cannot read master key file ${file}: ${code ?? 'unreadable'}`)
  }
}

/** Reads the master key, creating `file` (0600) when neither it nor the variable exists. */
export async function loadMasterKey(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  log: (line: string) => void,
): Promise<string> {
  const fromEnv = env.COUNTERSIGN_MASTER_KEY?.trim()
  if (fromEnv !== undefined && fromEnv.length > 0) {
    return checked(fromEnv, 'COUNTERSIGN_MASTER_KEY')
  }
  const existing = await readKeyFile(file)
  if (existing !== undefined) {
    return checked(existing, file)
  }
  const key = randomBytes(32).toString('base64url')
  try {
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') {
      return checked((await readKeyFile(file)) ?? '', file)
    }
    throw new CliError(EXIT.startup, `cannot create master key file ${file}: ${code ?? 'failed'}`)
  }
  log(`created master key file ${file} (keep it secret and back it up)`)
  return key
}
