/**
 * `pnpm bench`: loads every `src/cases/*.ts` module (each exports `groups`), runs the groups
 * side by side with interleaved rounds, prints one table per group and writes
 * `results/<timestamp>.json` and `results/latest.json`.
 *
 * Flags: `--filter <substring>`, `--rounds N`, `--time ms`, `--warmup ms`, `--quick`, `--help`.
 * Exits non-zero only when a case module fails to load or a group fails to run; a missed ratio
 * target is reported, never fatal.
 *
 * @module
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { formatGroup, type Group, type Report, type RunOptions, runGroups } from './harness.ts'

const HELP = `Usage: pnpm bench [--filter <substring>] [--rounds N] [--time ms] [--warmup ms] [--quick]

  --filter   only groups or cases whose "group/case" name contains the substring
  --rounds   measured rounds per group (default 10)
  --time     milliseconds each case runs per round (default 200)
  --warmup   milliseconds of warm-up per case (default 300)
  --quick    3 rounds x 50 ms with 50 ms warm-up: a smoke test, not a measurement
`

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback
  }
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) {
    throw new TypeError(`--${name} expects a positive integer, got "${value}"`)
  }
  return n
}

function parseOptions(argv: string[]): RunOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      filter: { type: 'string' },
      rounds: { type: 'string' },
      time: { type: 'string' },
      warmup: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  })
  if (values.help) {
    return undefined
  }
  const quick = values.quick === true
  return {
    rounds: positiveInt('rounds', values.rounds, quick ? 3 : 10),
    timeMs: positiveInt('time', values.time, quick ? 50 : 200),
    warmupMs: positiveInt('warmup', values.warmup, quick ? 50 : 300),
    ...(values.filter ? { filter: values.filter } : {}),
  }
}

/** Imports every case module; a module that fails to load is reported and skipped. */
async function loadGroups(): Promise<{ groups: Group[]; failures: string[] }> {
  const dir = new URL('./cases/', import.meta.url)
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  files.sort()
  const groups: Group[] = []
  const failures: string[] = []
  for (const file of files) {
    try {
      const mod = (await import(new URL(file, dir).href)) as { groups?: unknown }
      if (!Array.isArray(mod.groups)) {
        throw new TypeError('does not export `groups` (an array of Group)')
      }
      groups.push(...(mod.groups as Group[]))
    } catch (error) {
      failures.push(`cases/${file}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  return { groups, failures }
}

async function writeReport(report: Report): Promise<string> {
  const dir = new URL('../results/', import.meta.url)
  await mkdir(dir, { recursive: true })
  const json = `${JSON.stringify(report, null, 2)}\n`
  const name = `${report.startedAt.replace(/[:.]/g, '-')}.json`
  await writeFile(new URL(name, dir), json)
  await writeFile(new URL('latest.json', dir), json)
  return `bench/results/${name}`
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2))
  if (!options) {
    process.stdout.write(HELP)
    return 0
  }
  const { groups, failures } = await loadGroups()
  for (const failure of failures) {
    process.stderr.write(`could not load ${failure}\n`)
  }
  const startedAt = new Date().toISOString()
  const cpus = os.cpus()
  process.stdout.write(
    `node ${process.version} ${process.platform}/${process.arch}, ${cpus.length} CPUs (${cpus[0]?.model ?? 'unknown'})\n` +
      `${options.rounds} rounds x ${options.timeMs} ms per case, ${options.warmupMs} ms warm-up` +
      `${options.filter ? `, filter "${options.filter}"` : ''}\n\n`,
  )
  const results = await runGroups(groups, options, {
    onProgress: (message) => {
      if (process.stderr.isTTY) {
        process.stderr.write(`\r\x1b[K${message}`)
      }
    },
  })
  if (process.stderr.isTTY) {
    process.stderr.write('\r\x1b[K')
  }
  for (const result of results) {
    process.stdout.write(`${formatGroup(result, options)}\n`)
  }
  if (results.length === 0) {
    process.stdout.write('no groups matched\n')
  }
  const report: Report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    environment: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
    },
    options,
    groups: results,
  }
  process.stdout.write(`wrote ${await writeReport(report)} and bench/results/latest.json\n`)
  const failed = results.filter((r) => r.error)
  return failures.length > 0 || failed.length > 0 ? 1 : 0
}

try {
  process.exitCode = await main()
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${HELP}`)
  process.exitCode = 2
}
