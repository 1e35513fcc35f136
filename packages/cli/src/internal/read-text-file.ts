/**
 * Reading a file the user named, with a start-up error that names it.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { CliError, EXIT } from '../cli-error.ts'

/** The most a key, JWKS or request file may hold. */
const MAX_BYTES = 16 * 1024 * 1024

/** Reads `path` as bytes; a missing or unreadable file is a `CliError` with `exitCode`. */
export async function readUserFile(
  path: string,
  what: string,
  exitCode: number = EXIT.startup,
): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (code ?? 'unreadable')
    throw new CliError(exitCode, `cannot read ${what} ${path}: ${reason}`)
  }
  if (bytes.byteLength > MAX_BYTES) {
    throw new CliError(exitCode, `${what} ${path} is larger than ${MAX_BYTES} bytes`)
  }
  return bytes
}
