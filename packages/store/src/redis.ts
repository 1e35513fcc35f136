/**
 * A {@link Store} on Redis through the maintained `redis` client (node-redis), for many relay and
 * token-service instances sharing state. Keys are laid out for Redis Cluster hash tags, and the
 * store fails closed: while Redis is unreachable every call rejects quickly with a retryable
 * `store_unavailable` error, and calls succeed again once the client has reconnected.
 *
 * @example
 * ```ts
 * import { createRedisStore } from '@countersign/store/redis'
 *
 * const store = await createRedisStore({ url: process.env.REDIS_URL, prefix: 'myapp' })
 * const { allowed } = await store.hit(`ip:${ip}`, { limit: 100, windowMs: 60_000 })
 * ```
 *
 * @module
 */

import { createHash } from 'node:crypto'
import type { HitOptions, HitResult, SetOptions, Store } from '@countersign/core'
import { StoreError } from '@countersign/core'
import {
  checkHit,
  checkKey,
  checkList,
  checkPositiveInteger,
  checkSetOptions,
  checkValue,
  compareCodePoints,
  hitResult,
} from '@countersign/core/store-kit'
import { createClient } from 'redis'
import { connectRedisCluster } from './redis-cluster.ts'
import {
  type RedisConnection,
  type RedisTimeouts,
  singleNodeConnection,
} from './redis-connection.ts'

/**
 * The part of a node-redis client the store uses. A client from `createClient()` of the `redis`
 * package (v5 or v6) fits; so does a test double.
 */
export interface RedisClientLike {
  /** Whether the client has been opened and not closed (it may be reconnecting). */
  readonly isOpen: boolean
  /** Whether the client is connected and can send commands now. */
  readonly isReady: boolean
  /** Opens the connection. */
  connect(): Promise<unknown>
  /** Sends one raw command. */
  sendCommand(args: string[], options?: { timeout?: number }): Promise<unknown>
  /** Adds an `'error'` listener. */
  on(event: 'error', listener: (error: Error) => void): unknown
  /** Removes an `'error'` listener. */
  off(event: 'error', listener: (error: Error) => void): unknown
  /** Closes the connection once pending replies have arrived. */
  close(): Promise<unknown>
  /** Closes the connection at once. */
  destroy(): unknown
}

/** Where a Redis Cluster is, for {@link RedisStoreOptions.cluster}. */
export interface RedisClusterStoreOptions {
  /** URLs of some of the cluster's nodes (`redis://` or `rediss://`), at least one. */
  rootNodes: readonly string[]
}

/** Options for {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * The Redis URL, e.g. `redis://user:password@host:6379/0` or `rediss://` for TLS (default
   * `redis://127.0.0.1:6379`). Ignored when `client` is given. Never logged.
   */
  url?: string
  /**
   * Connect to a Redis Cluster instead of a single Redis: the URLs of some of its nodes (three or
   * more is best), e.g. `['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379']`. The rest of the
   * topology is discovered, and rediscovered after a failover. ACL credentials and `rediss:` in
   * the first URL apply to every node. Not with `url` or `client`. Never logged.
   */
  cluster?: RedisClusterStoreOptions
  /**
   * An existing client to use instead of creating one. Its owner keeps it: `close()` leaves it
   * open. Calls still fail fast while it is not ready, whatever its offline-queue setting.
   */
  client?: RedisClientLike
  /**
   * The first part of every key, so several applications can share one database (default
   * `'cs'`). Letters, digits and `._-:` only, at most 64 characters.
   */
  prefix?: string
  /** How long one connection attempt may take, in milliseconds (default 2000). */
  connectTimeoutMs?: number
  /**
   * How long one command may take before the call fails with `store_unavailable`, in
   * milliseconds (default 1000). Calls never wait longer than this for Redis.
   */
  commandTimeoutMs?: number
  /**
   * The longest pause between reconnection attempts, in milliseconds (default 2000). Pauses start
   * at 50 ms and double up to this cap, with a little jitter; the client never stops retrying.
   */
  maxReconnectDelayMs?: number
}

const PREFIX_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/
const SCAN_COUNT = '1000'

/**
 * The sliding-window hit, atomically, as core's memory store does it: KEYS[1] and KEYS[2] are
 * the previous and current fixed windows, KEYS[3] records the `windowMs` the counts belong to (a
 * key hit with another `windowMs`, or idle for two windows, starts afresh). The decision is the
 * expression of `isAllowed()` in the shared module, in the same order of operations, so it gives
 * the same doubles. A refused hit changes nothing. All three keys share one hash tag.
 */
const HIT_SCRIPT = `
local windowMs = ARGV[2]
local same = redis.call('GET', KEYS[3]) == windowMs
local previous = 0
local current = 0
if same then
  previous = tonumber(redis.call('GET', KEYS[1]) or '0')
  current = tonumber(redis.call('GET', KEYS[2]) or '0')
end
local limit = tonumber(ARGV[1])
local w = tonumber(windowMs)
local cost = tonumber(ARGV[3])
local elapsed = tonumber(ARGV[4])
local usedScaled = previous * (w - elapsed) + current * w
if usedScaled + cost * w <= limit * w then
  if same then
    redis.call('INCRBY', KEYS[2], cost)
  else
    redis.call('SET', KEYS[2], cost)
    redis.call('DEL', KEYS[1])
  end
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  redis.call('SET', KEYS[3], windowMs, 'PX', ARGV[5])
  return {1, previous, current}
end
return {0, previous, current}
`
const HIT_SHA = createHash('sha1').update(HIT_SCRIPT).digest('hex')

/** Escapes Redis glob metacharacters so a string matches only itself in `SCAN MATCH`. */
function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]^]/g, '\\$&')
}

/** An `Error` carrying only what is safe to keep: the class name and a code, never a message. */
function safeCause(error: unknown): Error {
  if (!(error instanceof Error)) {
    return new Error('Redis error')
  }
  const code = (error as { code?: unknown }).code
  // A server error reply starts with an upper-case word (ERR, OOM, NOSCRIPT, READONLY...);
  // keep that word only, since the rest may echo arguments.
  const reply = /^[A-Z][A-Z_-]+(?= |$)/.exec(error.message)?.[0]
  const detail = typeof code === 'string' ? code : (reply ?? '')
  return new Error(detail ? `${error.name}: ${detail}` : error.name)
}

/** Wraps a Redis failure into a {@link StoreError}, keeping keys and values out of it. */
function storeError(operation: string, error: unknown): Error {
  if (error instanceof StoreError || error instanceof TypeError || error instanceof RangeError) {
    return error
  }
  const cause = safeCause(error)
  if (error instanceof Error && error.message.startsWith('OOM')) {
    return new StoreError('store_full', `Redis store is full (${operation})`, { cause })
  }
  return new StoreError('store_unavailable', `Redis store unavailable (${operation})`, { cause })
}

/** Swallows `'error'` events: unhandled, reconnection failures would crash the process. */
function ignoreError(): void {}

/** Every key one master's `SCAN` walk yields for `pattern`. */
async function* scanKeys(
  send: (args: string[]) => Promise<unknown>,
  pattern: string,
): AsyncGenerator<string> {
  let cursor = '0'
  do {
    const reply = (await send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT])) as [
      string,
      string[],
    ]
    cursor = String(reply[0])
    yield* reply[1]
  } while (cursor !== '0')
}

/** The connection `options` ask for: a cluster, the caller's client, or a new client. */
function openConnection(options: RedisStoreOptions, timeouts: RedisTimeouts): RedisConnection {
  if (options.cluster !== undefined) {
    const rootNodes = (options.cluster as { rootNodes?: unknown } | null)?.rootNodes
    if (options.url !== undefined || options.client !== undefined) {
      throw new TypeError('options.cluster cannot be combined with options.url or options.client')
    }
    if (!Array.isArray(rootNodes) || !rootNodes.every((url) => typeof url === 'string')) {
      throw new TypeError('options.cluster.rootNodes must be an array of Redis URLs')
    }
    try {
      return connectRedisCluster(rootNodes, timeouts)
    } catch (error) {
      // Never repeat the URL: it may hold a password.
      throw new TypeError('options.cluster.rootNodes holds an invalid Redis URL', {
        cause: safeCause(error),
      })
    }
  }
  if (options.client !== undefined) {
    options.client.on('error', ignoreError)
    return singleNodeConnection(options.client, timeouts)
  }
  let client: RedisClientLike
  try {
    client = createClient({
      url: options.url ?? 'redis://127.0.0.1:6379',
      disableOfflineQueue: true,
      commandOptions: { timeout: timeouts.commandTimeoutMs },
      socket: { connectTimeout: timeouts.connectTimeoutMs, reconnectStrategy: timeouts.backoff },
    })
  } catch (error) {
    // A malformed URL: say so without repeating it (it may hold a password).
    throw new TypeError('options.url is not a valid Redis URL', { cause: safeCause(error) })
  }
  client.on('error', ignoreError)
  return singleNodeConnection(client, timeouts)
}

function checkMs(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`options.${name} must be a number`)
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`options.${name} must be an integer of at least ${min}`)
  }
  return value
}

/**
 * Connects to Redis and returns a {@link Store} on it.
 *
 * - `consumeOnce` is `SET key 1 NX PX ttl`; `set` is `SET` with `PX` and `NX`; `list` walks the
 *   prefix with `SCAN MATCH` (so it costs a pass over the database: keep it off hot paths).
 * - `hit` is one Lua script (`EVALSHA`, falling back to `EVAL`) over two fixed-window keys, with
 *   the window position from this process's clock (keep instances' clocks in sync, e.g. NTP).
 * - Keys look like `<prefix>:{o:<key>}`, `<prefix>:{k:<key>}` and
 *   `<prefix>:{w:<key>}:<windowMs>:<window>`: the two windows of a counter share a hash tag, so
 *   they live on one Redis Cluster node.
 *
 * Outages: the promise resolves once connected, or after the first failed attempt (at most
 * `connectTimeoutMs`), so an application can start while Redis is down. Until the client is
 * connected, and whenever a command takes longer than `commandTimeoutMs`, calls reject with a
 * retryable {@link StoreError} `store_unavailable`; callers fail closed. The client reconnects
 * by itself with capped exponential backoff, and its `'error'` events never crash the process.
 *
 * @param options - Where Redis is and how long to wait; see {@link RedisStoreOptions}.
 * @returns The store. `close()` quits the client it created.
 * @throws `TypeError` or `RangeError` when the options are malformed.
 */
export async function createRedisStore(options: RedisStoreOptions = {}): Promise<Store> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object')
  }
  const prefix = options.prefix ?? 'cs'
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new TypeError('options.prefix must be 1-64 characters of letters, digits and ._-:')
  }
  const connectTimeoutMs = checkMs('connectTimeoutMs', options.connectTimeoutMs ?? 2000, 1)
  const commandTimeoutMs = checkMs('commandTimeoutMs', options.commandTimeoutMs ?? 1000, 1)
  const maxDelay = checkMs('maxReconnectDelayMs', options.maxReconnectDelayMs ?? 2000, 1)
  if (options.url !== undefined && typeof options.url !== 'string') {
    throw new TypeError('options.url must be a string')
  }

  const timeouts: RedisTimeouts = {
    connectTimeoutMs,
    commandTimeoutMs,
    maxReconnectDelayMs: maxDelay,
    backoff: (retries) =>
      Math.min(50 * 2 ** Math.min(retries, 16), maxDelay) + Math.floor(Math.random() * 50),
  }
  const owned = options.client === undefined
  const connection = openConnection(options, timeouts)
  await connection.opened

  const key = {
    once: (k: string) => `${prefix}:{o:${k}}`,
    kv: (k: string) => `${prefix}:{k:${k}}`,
    windowMeta: (k: string) => `${prefix}:{w:${k}}`,
    window: (k: string, windowMs: number, index: number) =>
      `${prefix}:{w:${k}}:${windowMs}:${index}`,
  }
  const kvHead = `${prefix}:{k:`

  let closed = false

  /** Runs one command, failing fast when not connected and after `commandTimeoutMs`. */
  const timed = async (command: () => Promise<unknown>): Promise<unknown> => {
    if (closed) {
      throw new StoreError('store_unavailable', 'Redis store is closed', { retryable: false })
    }
    if (!connection.isReady) {
      throw new Error('Redis client is not connected')
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Redis command timed out')), commandTimeoutMs)
    })
    try {
      return await Promise.race([command(), timeout])
    } finally {
      clearTimeout(timer)
    }
  }
  /** Sends one command, routed on a cluster by its first key. */
  const send = (args: string[], firstKey = args[1]) => timed(() => connection.send(firstKey, args))

  const guarded = async <T>(operation: string, body: () => Promise<T>): Promise<T> => {
    try {
      return await body()
    } catch (error) {
      throw storeError(operation, error)
    }
  }

  const evalHit = async (keys: string[], args: string[]): Promise<unknown> => {
    try {
      return await send(['EVALSHA', HIT_SHA, String(keys.length), ...keys, ...args], keys[0])
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return send(['EVAL', HIT_SCRIPT, String(keys.length), ...keys, ...args], keys[0])
      }
      throw error
    }
  }

  return {
    async consumeOnce(k: string, ttlMs: number): Promise<boolean> {
      checkKey(k)
      checkPositiveInteger(ttlMs, 'ttlMs')
      return guarded('consumeOnce', async () => {
        const reply = await send(['SET', key.once(k), '1', 'NX', 'PX', String(ttlMs)])
        return reply === 'OK'
      })
    },

    async get(k: string): Promise<string | undefined> {
      checkKey(k)
      return guarded('get', async () => {
        const reply = await send(['GET', key.kv(k)])
        return typeof reply === 'string' ? reply : undefined
      })
    },

    async set(k: string, value: string, setOptions?: SetOptions): Promise<boolean> {
      checkKey(k)
      checkValue(value)
      const { ttlMs, ifAbsent } = checkSetOptions(setOptions)
      return guarded('set', async () => {
        const args = ['SET', key.kv(k), value]
        if (ttlMs !== undefined) {
          args.push('PX', String(ttlMs))
        }
        if (ifAbsent) {
          args.push('NX')
        }
        return (await send(args)) === 'OK'
      })
    },

    async delete(k: string): Promise<boolean> {
      checkKey(k)
      return guarded('delete', async () => Number(await send(['DEL', key.kv(k)])) === 1)
    },

    async list(listPrefix: string, listOptions?: { limit?: number }) {
      const limit = checkList(listPrefix, listOptions)
      return guarded('list', async () => {
        const pattern = `${escapeGlob(kvHead)}${escapeGlob(listPrefix)}*`
        const found = new Set<string>()
        // On a cluster every master holds some of the keys: walk each one.
        const masters = (await timed(() => connection.masters())) as Array<
          (args: string[]) => Promise<unknown>
        >
        for (const master of masters) {
          for await (const redisKey of scanKeys((args) => timed(() => master(args)), pattern)) {
            if (redisKey.startsWith(kvHead) && redisKey.endsWith('}')) {
              const userKey = redisKey.slice(kvHead.length, -1)
              if (userKey.startsWith(listPrefix)) {
                found.add(userKey)
              }
            }
          }
        }
        const keys = [...found].sort(compareCodePoints)
        const entries: Array<{ key: string; value: string }> = []
        // Entries may expire between SCAN and GET: read in batches until the limit is met.
        for (let i = 0; i < keys.length && entries.length < limit; ) {
          const batch = keys.slice(i, i + Math.max(limit - entries.length, 64))
          i += batch.length
          const values = await Promise.all(batch.map((userKey) => send(['GET', key.kv(userKey)])))
          for (let j = 0; j < batch.length && entries.length < limit; j++) {
            const value = values[j]
            if (typeof value === 'string') {
              entries.push({ key: batch[j]!, value })
            }
          }
        }
        return entries
      })
    },

    async hit(k: string, hitOptions: HitOptions): Promise<HitResult> {
      checkKey(k)
      const checked = checkHit(hitOptions)
      const { limit, windowMs, cost } = checked
      return guarded('hit', async () => {
        const now = Date.now()
        const index = Math.floor(now / windowMs)
        const elapsed = now - index * windowMs
        const reply = (await evalHit(
          [key.window(k, windowMs, index - 1), key.window(k, windowMs, index), key.windowMeta(k)],
          [
            String(limit),
            String(windowMs),
            String(cost),
            String(elapsed),
            // Kept until both counts weigh nothing: the end of the next window.
            String(2 * windowMs - elapsed),
          ],
        )) as [number, number, number]
        const allowed = Number(reply[0]) === 1
        return hitResult(Number(reply[1]), Number(reply[2]), elapsed, allowed, checked)
      })
    },

    async ping(): Promise<void> {
      await guarded('ping', () => send(['PING']))
    },

    async close(): Promise<void> {
      if (closed) {
        return
      }
      closed = true
      if (!owned) {
        options.client?.off('error', ignoreError)
        return
      }
      // The 'error' listener stays: a late socket error must not crash the process either.
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, commandTimeoutMs)
      })
      try {
        await Promise.race([connection.close().catch(() => undefined), timeout])
      } finally {
        clearTimeout(timer)
        connection.destroy()
      }
    },
  }
}
