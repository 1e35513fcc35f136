#!/usr/bin/env node
/**
 * The long run of the network-input properties: the same `test/network-input.property.test.ts`
 * files the normal tests run with seed 42, here with random seeds and many more runs, round
 * after round until the time budget is spent. A failing round prints its package and seed (re-run
 * it with `FUZZ_SEED=<seed> FUZZ_RUNS=<runs> pnpm --filter <pkg> exec vitest run <file>`); the
 * exit code is 1 when any round failed.
 *
 *   node bench/fuzz.mjs [--minutes 5] [--runs 2000] [--filter relay]
 */
import { spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const FILE = 'test/network-input.property.test.ts'
const PACKAGES = ['core', 'verifier', 'tokens', 'relay']
const root = fileURLToPath(new URL('..', import.meta.url))

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : process.argv[at + 1]
}

const minutes = Number(option('minutes', '5'))
const runs = Number(option('runs', '2000'))
const filter = option('filter', '')
if (!(minutes > 0) || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: node bench/fuzz.mjs [--minutes 5] [--runs 2000] [--filter <package>]')
  process.exit(2)
}
const packages = PACKAGES.filter((name) => name.includes(filter))
const deadline = Date.now() + minutes * 60_000
const failures = []
let rounds = 0

while (Date.now() < deadline) {
  for (const name of packages) {
    if (Date.now() >= deadline) {
      break
    }
    const seed = randomInt(2 ** 31)
    const started = Date.now()
    const result = spawnSync(
      'pnpm',
      ['--filter', `@countersign/${name}`, 'exec', 'vitest', 'run', FILE],
      {
        cwd: root,
        env: { ...process.env, FUZZ_SEED: String(seed), FUZZ_RUNS: String(runs) },
        encoding: 'utf8',
        timeout: Math.max(120_000, runs * 400),
      },
    )
    rounds++
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (result.status === 0) {
      console.log(`ok    ${name} seed=${seed} runs=${runs} (${seconds} s)`)
      continue
    }
    failures.push({ name, seed })
    console.log(`FAIL  ${name} seed=${seed} runs=${runs} (${seconds} s)`)
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
    console.log(output.split('\n').slice(-60).join('\n'))
  }
}

console.log(`${rounds} rounds, ${failures.length} failed`)
for (const { name, seed } of failures) {
  console.log(
    `  FUZZ_SEED=${seed} FUZZ_RUNS=${runs} pnpm --filter @countersign/${name} exec vitest run ${FILE}`,
  )
}
process.exit(failures.length === 0 ? 0 : 1)
