import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { isCountersignError, type Store } from '@countersign/core'
import { runStoreContract } from '@countersign/testkit/store-contract.ts'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisStore } from './redis.ts'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
/** Every key this run writes starts with this, so the run cleans up only after itself. */
const RUN = `cstest-${process.pid}-${Date.now().toString(36)}`
let stores = 0
const newPrefix = (name: string) => `${RUN}:${name}${stores++}`

const admin = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false } })
admin.on('error', () => {})

beforeAll(async () => {
  try {
    await admin.connect()
    await admin.ping()
  } catch {
    // Fail every test loudly: these tests need a real Redis and never skip.
    throw new Error(
      `Redis is not reachable at ${REDIS_URL.replace(/\/\/[^@]*@/, '//***@')}. Start it ` +
        '(e.g. `redis-server --daemonize yes --port 6379 --save "" --appendonly no`) or set REDIS_URL.',
    )
  }
})

afterAll(async () => {
  if (admin.isReady) {
    for await (const keys of admin.scanIterator({ MATCH: `${RUN}*`, COUNT: 1000 })) {
      if (keys.length > 0) {
        await admin.del(keys)
      }
    }
    await admin.close()
  }
})

runStoreContract('redis', () => createRedisStore({ url: REDIS_URL, prefix: newPrefix('contract') }))

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') {
    throw new Error('no port')
  }
  return address.port
}

/** Starts a throwaway redis-server on `port` and resolves once it accepts connections. */
function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk
      if (output.includes('Ready to accept connections')) {
        resolve(child)
      }
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)))
  })
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return
  }
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

/** Retries `check` until it passes, for up to `ms`. */
async function eventually(check: () => Promise<void>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      await check()
      return
    } catch (error) {
      if (Date.now() > deadline) {
        throw error
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/** One call of every operation. */
function everyOperation(store: Store): Array<[string, () => Promise<unknown>]> {
  return [
    ['consumeOnce', () => store.consumeOnce('nonce', 60_000)],
    ['get', () => store.get('key')],
    ['set', () => store.set('key', 'secret-value', { ttlMs: 60_000 })],
    ['delete', () => store.delete('key')],
    ['list', () => store.list('k')],
    ['hit', () => store.hit('rate', { limit: 5, windowMs: 60_000 })],
    ['ping', () => (store.ping as () => Promise<void>)()],
  ]
}

async function expectUnavailable(call: () => Promise<unknown>, label: string): Promise<Error> {
  const error = await call().then(
    () => new Error(`${label} resolved while Redis was down`),
    (e: unknown) => e as Error,
  )
  expect(isCountersignError(error, 'store_unavailable'), `${label}: ${error}`).toBe(true)
  expect((error as { retryable?: boolean }).retryable).toBe(true)
  return error
}

/** The Redis Cluster hash tag of a key: what decides its slot. */
function hashTag(key: string): string {
  const open = key.indexOf('{')
  const close = open === -1 ? -1 : key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : key
}

describe('redis store', () => {
  it('lays keys out under the prefix with hash tags shared by a counter', async () => {
    const prefix = newPrefix('layout')
    const store = await createRedisStore({ url: REDIS_URL, prefix })
    await store.set('user:1', 'v', { ttlMs: 60_000 })
    await store.consumeOnce('n', 60_000)
    await store.hit('ip}x', { limit: 5, windowMs: 60_000 })
    const keys = (await admin.keys(`${prefix}:*`)).sort()
    expect(keys).toHaveLength(4)
    expect(keys).toContain(`${prefix}:{k:user:1}`)
    expect(keys).toContain(`${prefix}:{o:n}`)
    expect(keys).toContain(`${prefix}:{w:ip}x}`)
    const windowKey = keys.find((k) => /:60000:\d+$/.test(k))!
    expect(windowKey.startsWith(`${prefix}:{w:ip}x}:60000:`)).toBe(true)
    const index = Number(windowKey.split(':').pop())
    // The previous window's key (read by the same script) shares the tag and so the slot.
    expect(hashTag(windowKey.replace(/\d+$/, String(index - 1)))).toBe(hashTag(windowKey))
    expect(hashTag(`${prefix}:{w:ip}x}`)).toBe(hashTag(windowKey))
    for (const key of keys) {
      const ttl = await admin.pTTL(key)
      expect(ttl, key).toBeGreaterThan(0)
      expect(ttl, key).toBeLessThanOrEqual(120_000)
    }
    await store.close()
  })

  it('fails closed, quickly and without secrets, when Redis is unreachable', async () => {
    const store = await createRedisStore({
      url: 'redis://user:hunter2@127.0.0.1:1',
      prefix: newPrefix('down'),
    })
    for (const [label, call] of everyOperation(store)) {
      const error = await expectUnavailable(call, label)
      const text = `${error.message} ${(error.cause as Error | undefined)?.message ?? ''}`
      expect(text).not.toMatch(/hunter2|secret-value|nonce|127\.0\.0\.1/)
    }
    // Caller bugs are still reported as such while Redis is down.
    await expect(store.consumeOnce('', 1000)).rejects.toBeInstanceOf(TypeError)
    await store.close()
    const closed = await store.get('key').catch((e: unknown) => e)
    expect(isCountersignError(closed, 'store_unavailable')).toBe(true)
  })

  it('fails closed while Redis is down and recovers with the same store object', async () => {
    const port = await freePort()
    let server = await startRedis(port)
    const store = await createRedisStore({
      url: `redis://127.0.0.1:${port}`,
      prefix: 'recovery',
      commandTimeoutMs: 500,
      maxReconnectDelayMs: 200,
    })
    try {
      expect(await store.set('before', 'v')).toBe(true)
      await stopRedis(server)
      for (const [label, call] of everyOperation(store)) {
        await expectUnavailable(call, label)
      }
      server = await startRedis(port)
      await eventually(async () => {
        expect(await store.consumeOnce('after', 60_000)).toBe(true)
      })
      for (const [label, call] of everyOperation(store)) {
        await expect(call(), label).resolves.not.toThrow()
      }
      // The restarted server kept nothing (no persistence): the store reads the new state.
      expect(await store.get('before')).toBeUndefined()
    } finally {
      await store.close()
      await stopRedis(server)
    }
  })

  it('never hangs on a Redis that stops answering, and recovers when it answers again', async () => {
    const port = await freePort()
    const server = await startRedis(port)
    const store = await createRedisStore({
      url: `redis://127.0.0.1:${port}`,
      prefix: 'frozen',
      commandTimeoutMs: 300,
    })
    try {
      expect(await store.set('k', 'v')).toBe(true)
      server.kill('SIGSTOP')
      for (const [label, call] of everyOperation(store)) {
        await expectUnavailable(call, label)
      }
      server.kill('SIGCONT')
      await eventually(async () => {
        expect(await store.get('k')).toBe('v')
      })
      expect(await store.consumeOnce('fresh', 60_000)).toBe(true)
    } finally {
      server.kill('SIGCONT')
      await store.close()
      await stopRedis(server)
    }
  })

  it('reloads the rate-limit script when Redis has forgotten it', async () => {
    const port = await freePort()
    const server = await startRedis(port)
    const store = await createRedisStore({ url: `redis://127.0.0.1:${port}`, prefix: 'script' })
    const direct = createClient({ url: `redis://127.0.0.1:${port}` })
    direct.on('error', () => {})
    try {
      await direct.connect()
      const options = { limit: 3, windowMs: 600_000 }
      expect((await store.hit('k', options)).remaining).toBe(2)
      await direct.scriptFlush()
      expect((await store.hit('k', options)).remaining).toBe(1)
      expect((await store.hit('k', options)).remaining).toBe(0)
    } finally {
      await direct.close()
      await store.close()
      await stopRedis(server)
    }
  })

  it('uses a client it is given and leaves it open on close', async () => {
    const client = createClient({ url: REDIS_URL })
    client.on('error', () => {})
    await client.connect()
    const store = await createRedisStore({ client, prefix: newPrefix('given') })
    expect(await store.set('k', 'v')).toBe(true)
    expect(await store.get('k')).toBe('v')
    await store.close()
    expect(client.isReady).toBe(true)
    expect(await client.ping()).toBe('PONG')
    await client.close()
  })

  it('rejects bad options and values Redis could not store exactly', async () => {
    await expect(createRedisStore({ prefix: 'a{b}' })).rejects.toBeInstanceOf(TypeError)
    await expect(createRedisStore({ prefix: '' })).rejects.toBeInstanceOf(TypeError)
    await expect(createRedisStore({ commandTimeoutMs: 0 })).rejects.toBeInstanceOf(RangeError)
    await expect(createRedisStore({ url: 'http://example.com' })).rejects.toBeInstanceOf(TypeError)
    const store = await createRedisStore({ url: REDIS_URL, prefix: newPrefix('values') })
    await expect(store.set('k', 'a\ud800b')).rejects.toBeInstanceOf(TypeError)
    await store.close()
  })
})
