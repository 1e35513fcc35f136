import { type ChildProcess, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRedisStore } from '@countersign/store/redis'
import { createApiKeys, createParameterTokens } from '@countersign/tokens'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  adminCreateKey,
  type CliProcess,
  freePort,
  postJson,
  startCli,
  startRedisServer,
} from './helpers.ts'

/**
 * A private redis-server (so it can be stopped mid-run without touching the shared one), with
 * an append-only file so data survives a restart.
 */
let redis: ChildProcess | undefined
let redisPort = 0
let dir = ''
const masterKey = randomBytes(32).toString('base64url')
const prefix = `cs-test-${randomBytes(4).toString('hex')}`

async function startRedis(): Promise<void> {
  redis = await startRedisServer(redisPort, ['--appendonly', 'yes', '--dir', dir])
}

async function stopRedis(): Promise<void> {
  const proc = redis
  if (proc === undefined || proc.exitCode !== null) {
    return
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  proc.kill('SIGTERM')
  await exited
}

/** These tests need the redis-server binary (CI installs it); without it they fail, never skip. */
const redisUrl = () => `redis://127.0.0.1:${redisPort}`
const args = () => [
  '--redis',
  redisUrl(),
  '--redis-prefix',
  prefix,
  '--issuer',
  'https://tokens.test',
]

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-tokens-redis-'))
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(
      'redis-server is not installed: install it (Debian: redis-server) to run these tests',
    )
  }
  redisPort = await freePort()
  await startRedis()
})
afterAll(async () => {
  await stopRedis()
  await rm(dir, { recursive: true, force: true })
})

describe('countersign tokens serve (Redis)', () => {
  it('two instances share one Redis: one admin key, tokens, keys and revocations', async () => {
    const env = { COUNTERSIGN_MASTER_KEY: masterKey }
    const [a, b] = await Promise.all([startCli(args(), env), startCli(args(), env)])
    try {
      const admins = [a.adminKey, b.adminKey].filter(Boolean)
      expect(admins).toHaveLength(1)
      const admin = admins[0] as string
      const generator = await adminCreateKey(a.url, admin, ['tokens:generate', 'tokens:revoke'])
      const issuer = await adminCreateKey(b.url, admin, ['user-tokens:issue'])

      const { token } = (await (
        await postJson(`${a.url}/generate`, { x: 1 }, { 'x-api-key': generator })
      ).json()) as {
        token: string
      }
      expect(
        await (await fetch(`${b.url}/verify`, { headers: { 'x-api-token': token } })).json(),
      ).toEqual({ x: 1 })

      const { access_token: jwt } = (await (
        await postJson(
          `${a.url}/v1/user-tokens`,
          { user: { id: 'u' }, audience: 'p' },
          { 'x-api-key': issuer },
        )
      ).json()) as { access_token: string }
      expect((await fetch(`${b.url}/v1/users/me`, { headers: { accessToken: jwt } })).status).toBe(
        200,
      )
      // Both instances publish the same signing keys.
      const [ja, jb] = await Promise.all([
        fetch(`${a.url}/.well-known/jwks.json`).then((r) => r.json()),
        fetch(`${b.url}/.well-known/jwks.json`).then((r) => r.json()),
      ])
      expect(ja).toEqual(jb)

      // Revoke on B (the issuing key), A sees it.
      const revoke = await fetch(`${b.url}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': generator },
        body: `token=${token}`,
      })
      expect(revoke.status).toBe(200)
      const after = await fetch(`${a.url}/verify`, { headers: { 'x-api-token': token } })
      expect(after.status).toBe(403)
      expect(await after.json()).toEqual({ message: 'Token revoked' })
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('single-use tokens redeemed through two Redis clients: exactly one success each', async () => {
    const [s1, s2] = await Promise.all([
      createRedisStore({ url: redisUrl(), prefix }),
      createRedisStore({ url: redisUrl(), prefix }),
    ])
    try {
      const t1 = createParameterTokens({ store: s1 })
      const t2 = createParameterTokens({ store: s2 })
      const issued = await Promise.all(
        Array.from({ length: 250 }, (_, i) => t1.issue({ i }, { singleUse: true })),
      )
      const attempts = issued.flatMap(({ token }) => [
        t1.redeem(token),
        t2.redeem(token),
        t1.verify(token),
        t2.verify(token),
      ])
      const results = await Promise.allSettled(attempts)
      for (let i = 0; i < issued.length; i++) {
        expect(
          results.slice(i * 4, i * 4 + 4).filter((r) => r.status === 'fulfilled'),
        ).toHaveLength(1)
      }
      const one = issued[0]?.token as string
      const all = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) => (i % 2 ? t1 : t2).redeem(one)),
      )
      expect(all.filter((r) => r.status === 'fulfilled')).toHaveLength(0) // already redeemed above
      const fresh = await t2.issue({ fresh: true }, { singleUse: true })
      const race = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) => (i % 2 ? t1 : t2).redeem(fresh.token)),
      )
      expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    } finally {
      await Promise.all([s1.close(), s2.close()])
    }
  }, 60_000)

  it('answers 503 store_unavailable while Redis is down, then recovers', async () => {
    const env = { COUNTERSIGN_MASTER_KEY: masterKey }
    const cli: CliProcess = await startCli(args(), env)
    try {
      const admin = await adminCreateKey(cli.url, await createAdmin(), ['tokens:generate'])
      const { token } = (await (
        await postJson(`${cli.url}/generate`, { y: 2 }, { 'x-api-key': admin })
      ).json()) as {
        token: string
      }
      await stopRedis()
      const down = await fetch(`${cli.url}/verify`, { headers: { 'x-api-token': token } })
      expect(down.status).toBe(503)
      expect(down.headers.get('countersign-error')).toBe('store_unavailable')
      const generateDown = await postJson(`${cli.url}/generate`, { y: 3 }, { 'x-api-key': admin })
      expect(generateDown.status).toBe(503)
      const problem = await fetch(`${cli.url}/admin/api-keys`, {
        headers: { authorization: `Bearer ${admin}` },
      })
      expect(problem.status).toBe(503)
      expect(((await problem.json()) as { code: string }).code).toBe('store_unavailable')

      await startRedis()
      let status = 0
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200))
        status = (await fetch(`${cli.url}/verify`, { headers: { 'x-api-token': token } })).status
      }
      expect(status).toBe(200)
    } finally {
      await cli.stop()
    }
  }, 60_000)
})

/** The admin key was printed by an earlier instance; mint a fresh admin through the store. */
async function createAdmin(): Promise<string> {
  const store = await createRedisStore({ url: redisUrl(), prefix })
  try {
    const keys = createApiKeys({ store, masterKey })
    return (await keys.createApiKey({ name: 'test-admin', scopes: ['admin'] })).key
  } finally {
    await store.close()
  }
}
