/**
 * The shape of one command: its name, help text, options (for node:util `parseArgs`) and run.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from 'node:util'
import type { CliIo } from './io.ts'

/** Parsed values of a command's options. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>

/** One runnable command, e.g. `relay serve`. */
export interface Command {
  /** The words after `countersign`, e.g. `relay serve`. */
  name: string
  /** One line for the command list. */
  summary: string
  /** The full `--help` text (without the trailing newline). */
  help: string
  /** Its options; `--help` and `--version` are added to every command. */
  options: ParseArgsOptionsConfig
  /** How many positionals it takes (default none). */
  positionals?: { min: number; max: number; name: string }
  /** Runs it; resolves with the exit code. Throws `CliError` to stop with a message. */
  run(values: OptionValues, positionals: string[], io: CliIo): Promise<number>
}
