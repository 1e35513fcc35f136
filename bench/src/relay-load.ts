/**
 * `pnpm --filter @countersign/bench bench:load`: the relay group with its load generator in
 * another process. This process runs the API, the peers and the relays (as `pnpm bench` does);
 * each case is driven in turn by `load-generator.mjs` (autocannon, 32 connections) in a child
 * process, so the figures do not include the load generator's share of the relay's event loop.
 * The rounds take the cases in a rotating order; the table gives each case's median requests
 * per second and the medians of its per-round ratios to the bare proxy and to the hand-written
 * relay (paired: both measured in the same round).
 *
 * Each case first gets half a second unrecorded (warm-up). Flags: `--rounds N` (default 5),
 * `--seconds S` per case and round (default 2).
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { parseArgs } from 'node:util'
import { type LoadTarget, loadTargets, REFERENCE_CASES, setup, teardown } from './cases/relay.ts'

interface Measured {
  rps: number
  p50: number
  p99: number
  total: number
  errors: number
  timeouts: number
  non2xx: number
  mismatches: number
}

const GENERATOR = new URL('./load-generator.mjs', import.meta.url)
const CONNECTIONS = 32

function drive(target: LoadTarget, seconds: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GENERATOR.pathname], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      out += chunk
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`${target.name}: the load generator exited with ${code}`))
        return
      }
      resolve(JSON.parse(out) as Measured)
    })
    child.stdin.end(
      JSON.stringify({
        url: target.url,
        requests: target.requests,
        expectBody: target.expectBody,
        connections: CONNECTIONS,
        durationSeconds: seconds,
      }),
    )
  })
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, seconds: { type: 'string' } },
    strict: true,
  })
  const rounds = Number(values.rounds ?? 5)
  const seconds = Number(values.seconds ?? 2)
  await setup()
  try {
    const targets = loadTargets()
    for (const target of targets) {
      await drive(target, 0.5) // warm-up, not recorded
    }
    const runs = new Map<string, Measured[]>(targets.map((t) => [t.name, []]))
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round so no case always runs first or last.
      const order = targets.map((_, i) => targets[(i + round) % targets.length] as LoadTarget)
      for (const target of order) {
        runs.get(target.name)?.push(await drive(target, seconds))
      }
    }
    report(runs, rounds, seconds)
  } finally {
    await teardown()
  }
}

function report(runs: Map<string, Measured[]>, rounds: number, seconds: number): void {
  const of = (name: string) => runs.get(name) as Measured[]
  const ratio = (name: string, reference: string): number =>
    median(of(name).map((m, i) => m.rps / (of(reference)[i] as Measured).rps))
  console.log(
    `relay/forward (loopback), load generator in another process (autocannon, ${CONNECTIONS} connections); ${rounds} rounds x ${seconds} s per case`,
  )
  console.log(
    `${'case'.padEnd(46)} ${'req/s'.padStart(7)} ${'vs bare'.padStart(8)} ${'vs hand'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}  failed`,
  )
  for (const [name, list] of runs) {
    const failed = list.reduce((n, m) => n + m.errors + m.timeouts + m.non2xx + m.mismatches, 0)
    console.log(
      `${name.padEnd(46)} ${median(list.map((m) => m.rps))
        .toFixed(0)
        .padStart(
          7,
        )} ${ratio(name, REFERENCE_CASES.bare).toFixed(2).padStart(7)}x ${ratio(name, REFERENCE_CASES.hand).toFixed(2).padStart(7)}x ${median(
        list.map((m) => m.p50),
      )
        .toFixed(1)
        .padStart(7)} ${median(list.map((m) => m.p99))
        .toFixed(1)
        .padStart(7)}  ${failed}`,
    )
  }
}

await main()
