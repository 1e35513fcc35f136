/**
 * The one argument parser behind `countersign`, `countersign-tokens` and `countersign-relay`:
 * picks the command from the leading words, handles `--help` and `--version` everywhere, parses
 * the rest with node:util `parseArgs` (strict), and turns errors into one stderr line prefixed
 * with the command and a documented exit code.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { CliError, EXIT } from './cli-error.ts'
import type { Command } from './command.ts'
import { COMMANDS } from './commands.ts'
import type { CliIo } from './io.ts'
import { cliVersion } from './version.ts'

const GROUPS = [
  ...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0])),
]

function listing(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return commands.map((c) => `  countersign ${c.name.padEnd(width)}  ${c.summary}`).join('\n')
}

function topHelp(): string {
  return `Usage: countersign <command> [options]

Commands:
${listing(COMMANDS)}

Options:
  -h, --help     Show help (also after any command)
  -v, --version  Print the version

Exit codes: 0 ok, 1 failed (e.g. a request that does not verify), 2 bad usage, 3 could not start.
Run 'countersign <command> --help' for a command's options.`
}

function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.name.startsWith(`${group} `))
  return `Usage: countersign ${group} <command> [options]

Commands:
${listing(commands)}

Run 'countersign ${group} <command> --help' for a command's options.`
}

/** `--help`/`--version` before a `--` terminator: answered before any other parsing. */
function flagBeforeTerminator(args: readonly string[], flags: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') {
      return false
    }
    if (flags.includes(arg)) {
      return true
    }
  }
  return false
}

async function runCommand(command: Command, args: string[], io: CliIo): Promise<number> {
  if (flagBeforeTerminator(args, ['--help', '-h'])) {
    io.stdout.write(`${command.help}\n`)
    return EXIT.ok
  }
  if (flagBeforeTerminator(args, ['--version', '-v'])) {
    io.stdout.write(`${cliVersion()}\n`)
    return EXIT.ok
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args, options: command.options, strict: true, allowPositionals: true })
  } catch (error) {
    throw new CliError(EXIT.usage, error instanceof Error ? error.message : String(error))
  }
  const { min, max, name } = command.positionals ?? { min: 0, max: 0, name: '' }
  if (parsed.positionals.length > max) {
    throw new CliError(EXIT.usage, `unexpected argument ${parsed.positionals[max]}`)
  }
  if (parsed.positionals.length < min) {
    throw new CliError(EXIT.usage, `missing ${name}`)
  }
  return command.run(parsed.values, parsed.positionals, io)
}

function usageError(io: CliIo, prefix: string, message: string, helpFor: string): number {
  io.stderr.write(`${prefix}: ${message}\nRun '${helpFor} --help' for usage.\n`)
  return EXIT.usage
}

/**
 * Runs `countersign` with `argv` (the words after the program name) and resolves with the exit
 * code. Server commands resolve once stopped (`io.signal`, else SIGINT/SIGTERM).
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(['relay', 'check', '--config', 'countersign.config.json'], processIo())
 * ```
 *
 * @throws never: every error becomes a line on `io.stderr` and a non-zero exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, second] = argv
  if (first === undefined) {
    io.stderr.write(`${topHelp()}\n`)
    return EXIT.usage
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(`${topHelp()}\n`)
    return EXIT.ok
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${cliVersion()}\n`)
    return EXIT.ok
  }
  let command = COMMANDS.find((c) => c.name === first)
  let rest = argv.slice(1)
  if (command === undefined && GROUPS.includes(first)) {
    if (second === undefined || second.startsWith('-') || second === 'help') {
      const asked = second === '--help' || second === '-h' || second === 'help'
      if (second === '--version' || second === '-v') {
        io.stdout.write(`${cliVersion()}\n`)
        return EXIT.ok
      }
      ;(asked ? io.stdout : io.stderr).write(`${groupHelp(first)}\n`)
      return asked ? EXIT.ok : EXIT.usage
    }
    command = COMMANDS.find((c) => c.name === `${first} ${second}`)
    rest = argv.slice(2)
    if (command === undefined) {
      return usageError(
        io,
        `countersign ${first}`,
        `unknown command ${second}`,
        `countersign ${first}`,
      )
    }
  }
  if (command === undefined) {
    return usageError(io, 'countersign', `unknown command ${first}`, 'countersign')
  }
  const prefix = `countersign ${command.name}`
  try {
    return await runCommand(command, rest, io)
  } catch (error) {
    if (error instanceof CliError) {
      if (error.exitCode === EXIT.usage) {
        return usageError(io, prefix, error.message, prefix)
      }
      io.stderr.write(`${prefix}: ${error.message}\n`)
      return error.exitCode
    }
    io.stderr.write(`${prefix}: ${oneLine(error)}\n`)
    return EXIT.failed
  }
}

/** An unexpected error as one line, without a stack. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/\s*\n\s*/g, '; ')
}
