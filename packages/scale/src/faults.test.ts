import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueUserToken, relayed } from './client.ts'
import { type Deployment, startDeployment } from './environment.ts'

let d: Deployment
beforeAll(async () => {
  // A 3 s node timeout: the outage (detection plus election) outlasts the 1 s command
  // timeout, so the fail-closed answers are seen, not absorbed by the client's redirections.
  d = await startDeployment({ nodeTimeoutMs: 3000 })
})
afterAll(() => d?.stop())

/** The master port holding the relay's per-user rate-limit counter for `userId`. */
async function counterMaster(userId: string): Promise<number> {
  return d.cluster.masterPortOf(`${d.prefix}:{w:relay:rl:u:${userId}}`)
}

describe('faults under load', () => {
  it('fails closed in a dead master’s slots until its replica is promoted, then recovers', async () => {
    // Users whose counters live on one master ("doomed") and on the others.
    const doomedPort = await counterMaster('u0')
    const users = Array.from({ length: 12 }, (_, i) => `u${i}`)
    const owners = await Promise.all(users.map(counterMaster))
    const doomed = users.filter((_, i) => owners[i] === doomedPort)
    const tokens = new Map(
      await Promise.all(users.map(async (u) => [u, (await issueUserToken(d, u)).token] as const)),
    )
    for (const u of users) {
      expect((await relayed(d, tokens.get(u)!, { warm: u })).status).toBe(200)
    }
    await d.cluster.kill(doomedPort)
    const seen: Array<{ user: string; status: number; code?: string }> = []
    const deadline = Date.now() + 45_000
    let recovered = false
    while (!recovered && Date.now() < deadline) {
      const round = await Promise.all(
        doomed.map(async (u) => ({ user: u, ...(await relayed(d, tokens.get(u)!, { u })) })),
      )
      seen.push(...round)
      recovered = seen.some((r) => r.status === 503) && round.every((r) => r.status === 200)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const summary = seen.map((r) => `${r.status}:${r.code ?? ''}`).join(' ')
    expect(recovered, `${doomedPort} ${doomed} ${summary.slice(0, 300)}`).toBe(true)
    // Fail closed: during the outage only 503 store_unavailable, never anything else.
    for (const r of seen.filter((r) => r.status !== 200)) {
      expect(r).toMatchObject({ status: 503, code: 'store_unavailable' })
    }
    // And after promotion every user (on any master) is served by the same processes.
    for (const u of users) {
      expect((await relayed(d, tokens.get(u)!, { after: u })).status).toBe(200)
    }
  })

  it('moves on from a relay killed mid-load and never forwards a request twice', async () => {
    const { token } = await issueUserToken(d, 'load')
    const total = 90
    const results: Array<{ n: number; status: number }> = []
    let next = 0
    const worker = async () => {
      while (next < total) {
        const n = next++
        if (n === 30) {
          await d.relays[0]!.kill()
        }
        results.push({ n, ...(await relayed(d, token, { n })) })
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    const forwarded = d.received.filter((r) => (r.data as { n?: unknown }).n !== undefined)
    const counts = new Map<unknown, number>()
    for (const r of forwarded) {
      const n = (r.data as { n: number }).n
      counts.set(n, (counts.get(n) ?? 0) + 1)
    }
    // Nothing double-forwarded, by payload and by relay request id.
    expect([...counts.values()].every((c) => c === 1)).toBe(true)
    expect(new Set(forwarded.map((r) => r.requestId)).size).toBe(forwarded.length)
    // Every success was forwarded; only requests in flight on the dead relay may fail (502/503
    // from the balancer), and the last twenty all succeed on the two relays left.
    for (const r of results.filter((r) => r.status === 200)) {
      expect(counts.get(r.n)).toBe(1)
    }
    const failed = results.filter((r) => r.status !== 200)
    for (const r of failed) {
      expect([0, 502, 503]).toContain(r.status)
    }
    expect(failed.length).toBeLessThanOrEqual(total * 0.15)
    expect(results.filter((r) => r.n >= 70).map((r) => r.status)).toEqual(Array(20).fill(200))
  })
})
