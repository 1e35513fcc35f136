import { request } from 'node:http'
import { createParameterTokens } from '@countersign/tokens'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueUserToken, relayed, revoke } from './client.ts'
import { type Deployment, type Received, startDeployment } from './environment.ts'

const LIMIT = 20
let d: Deployment
beforeAll(async () => {
  // Keys rotate every 8 s and stay published 40 s either side, so a rotation happens in-test.
  d = await startDeployment({
    perUser: { limit: LIMIT, windowMs: 60_000 },
    rotateEveryMs: 8_000,
    overlapMs: 40_000,
  })
})
afterAll(() => d?.stop())

/** Sends a captured forwarded request again to the API balancer, exactly as it was. */
function replay(captured: Received): Promise<number> {
  const [, port] = /:(\d+)$/.exec(d.apiUrl) ?? []
  return new Promise((resolve, reject) => {
    const headers = { ...captured.headers }
    delete headers['content-length']
    delete headers.connection
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(port),
        method: captured.method,
        path: captured.path,
        headers,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end(captured.body)
  })
}

describe('several instances behind HAProxy on one Redis Cluster', () => {
  it('spreads relayed calls over the relays and both API instances', async () => {
    const { token } = await issueUserToken(d, 'spread')
    const statuses = []
    for (let i = 0; i < 6; i++) {
      statuses.push((await relayed(d, token, { i })).status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])
    expect(new Set(d.received.slice(-6).map((r) => r.instance)).size).toBe(2)
  })

  it('refuses a replayed forwarded request on every API instance', async () => {
    const { token } = await issueUserToken(d, 'replay')
    expect((await relayed(d, token, { once: true })).status).toBe(200)
    const original = d.received.at(-1)!
    const refusedBefore = d.refused.length
    // Round robin over two API instances: four replays reach both, the one that accepted the
    // original and the other one; every replay is refused as a replay.
    const statuses = []
    for (let i = 0; i < 4; i++) {
      statuses.push(await replay(original))
    }
    expect(statuses).toEqual([401, 401, 401, 401])
    const refusals = d.refused.slice(refusedBefore)
    expect(refusals.map((r) => r.code)).toEqual(['replayed', 'replayed', 'replayed', 'replayed'])
    expect(new Set(refusals.map((r) => r.instance))).toEqual(new Set([0, 1]))
    expect(d.received.filter((r) => r.requestId === original.requestId)).toHaveLength(1)
  })

  it('redeems a single-use token exactly once across token-service instances', async () => {
    const tokens = createParameterTokens({ store: d.store })
    const { token } = await tokens.issue({ file: 'plan.dwg' }, { singleUse: true })
    // Both instances race for the token at once; then each is asked again.
    const ask = (port: number) =>
      fetch(`http://127.0.0.1:${port}/verify`, { headers: { 'x-api-token': token } }).then(
        async (r) => {
          await r.arrayBuffer()
          return { status: r.status, code: r.headers.get('countersign-error') }
        },
      )
    const ports = d.tokens.map((t) => t.port)
    const first = await Promise.all([...ports, ...ports].map(ask))
    const again = await Promise.all(ports.map(ask))
    expect(first.filter((r) => r.status === 200)).toHaveLength(1)
    for (const r of [...first.filter((r) => r.status !== 200), ...again]) {
      expect(r).toEqual({ status: 403, code: 'token_revoked' })
    }
  })

  it('holds a per-user rate limit across the three relays (exact: one atomic counter)', async () => {
    const { token } = await issueUserToken(d, 'limited')
    const results = []
    for (let i = 0; i < LIMIT + 10; i++) {
      results.push(await relayed(d, token, { i }))
    }
    const allowed = results.filter((r) => r.status === 200).length
    // Tolerance: at most one over, for a window boundary crossed mid-run; never under.
    const refused = results.filter((r) => r.status !== 200).map((r) => `${r.status}:${r.code}`)
    expect(allowed, refused.join(' ')).toBeGreaterThanOrEqual(LIMIT)
    expect(allowed).toBeLessThanOrEqual(LIMIT + 1)
    for (const r of results.filter((r) => r.status !== 200)) {
      expect(r).toMatchObject({ status: 429, code: 'rate_limited' })
    }
  })

  it('sees a revocation on every relay at once', async () => {
    const { token } = await issueUserToken(d, 'revoked')
    // Warm every relay's token cache first.
    for (let i = 0; i < 6; i++) {
      expect((await relayed(d, token, { i })).status).toBe(200)
    }
    expect(await revoke(d, token)).toBe(200)
    const after = []
    for (let i = 0; i < 6; i++) {
      after.push(await relayed(d, token, { i }))
    }
    expect(after.map((r) => [r.status, r.code])).toEqual(Array(6).fill([401, 'not_logged_in']))
  })

  it('honours a signing-key rotation on every instance, old and new keys overlapping', async () => {
    const before = await issueUserToken(d, 'rotation')
    let after = before
    const deadline = Date.now() + 20_000
    while (after.kid === before.kid && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      after = await issueUserToken(d, 'rotation')
    }
    expect(after.kid).not.toBe(before.kid)
    for (const { port } of d.tokens) {
      const jwks = (await (
        await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)
      ).json()) as {
        keys: Array<{ kid: string }>
      }
      expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([before.kid, after.kid]))
    }
    for (const token of [before.token, after.token]) {
      for (let i = 0; i < 3; i++) {
        expect((await relayed(d, token, { i })).status).toBe(200)
      }
    }
  })
})
