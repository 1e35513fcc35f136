/**
 * The bounded load run of issue #20 (loopback only, about a minute): relayed-request throughput
 * of the scaled-out setup (3 relays and 2 token services behind HAProxy on a 3+3 Redis Cluster)
 * against one relay and one token service behind the same balancer on one Redis, as a ratio in
 * one run, and Redis commands per relayed request on the cluster. Run with
 * `pnpm --filter @countersign/bench bench:cluster`; needs redis-server, redis-cli and haproxy.
 */
import { issueUserToken, relayed } from '@countersign/scale/src/client.ts'
import { type Deployment, startDeployment } from '@countersign/scale/src/environment.ts'

const SECONDS = Number(process.env.CS_LOAD_SECONDS ?? 10)
const CONCURRENCY = Number(process.env.CS_LOAD_CONCURRENCY ?? 16)

/** Relayed requests per second for SECONDS at CONCURRENCY, and how many failed. */
async function load(
  d: Deployment,
): Promise<{ rps: number; ok: number; failed: number; failures: Record<string, number> }> {
  const { token } = await issueUserToken(d, 'load')
  for (let i = 0; i < 50; i++) {
    await relayed(d, token, { warm: i })
  }
  let ok = 0
  let failed = 0
  const failures: Record<string, number> = {}
  const end = Date.now() + SECONDS * 1000
  const start = Date.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const { status, code } = await relayed(d, token, { n: ok + failed })
        if (status === 200) {
          ok++
        } else {
          failed++
          failures[`${status} ${code ?? ''}`] = (failures[`${status} ${code ?? ''}`] ?? 0) + 1
        }
      }
    }),
  )
  return { rps: ok / ((Date.now() - start) / 1000), ok, failed, failures }
}

/** Sum of `total_commands_processed` over the cluster's masters. */
async function commands(d: Deployment): Promise<number> {
  let total = 0
  for (const { port } of d.cluster.nodes) {
    const info = await d.cluster.cli(port, 'info').catch(() => '')
    if (/role:master/.test(info)) {
      total += Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0)
    }
  }
  return total
}

const perUser = { limit: 1_000_000_000, windowMs: 60_000 }
const single = await startDeployment({
  perUser,
  relays: 1,
  tokenServices: 1,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
})
let base: Awaited<ReturnType<typeof load>>
try {
  base = await load(single)
} finally {
  await single.stop()
}
const scaled = await startDeployment({ perUser })
try {
  const { token } = await issueUserToken(scaled, 'ops')
  await relayed(scaled, token, { warm: true })
  const before = await commands(scaled)
  const probe = 200
  for (let i = 0; i < probe; i++) {
    await relayed(scaled, token, { i })
  }
  // INFO itself counts one command per master per call: take those out.
  const opsPerRequest = ((await commands(scaled)) - before - 3) / probe
  const run = await load(scaled)
  const result = {
    seconds: SECONDS,
    concurrency: CONCURRENCY,
    cores: (await import('node:os')).availableParallelism(),
    single: base,
    cluster: run,
    ratio: Number((run.rps / base.rps).toFixed(2)),
    redisCommandsPerRelayedRequest: Number(opsPerRequest.toFixed(2)),
  }
  console.log(JSON.stringify(result, null, 2))
} finally {
  await scaled.stop()
}
