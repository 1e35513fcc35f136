/**
 * A real Redis Cluster on loopback for tests: `redis-server` processes in cluster mode (3
 * masters and 3 replicas by default) joined with `redis-cli --cluster create`, in a temporary
 * folder, on random high ports. The test owns it: `stop()` kills every process and removes the
 * folder, and the processes are killed too when the test process exits or gets SIGTERM/SIGINT.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster()
 * afterAll(() => cluster.stop())
 * const store = await createRedisStore({ cluster: { rootNodes: cluster.urls } })
 * ```
 *
 * @module
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Options for {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** How many masters (default 3). */
  masters?: number
  /** Replicas per master (default 1). */
  replicas?: number
  /** `cluster-node-timeout`, in milliseconds: how soon a dead master is failed over (1000). */
  nodeTimeoutMs?: number
}

/** One node of a {@link RunningRedisCluster}. */
export interface ClusterNode {
  port: number
  url: string
}

/** A cluster started by {@link startRedisCluster}. */
export interface RunningRedisCluster {
  /** Every node's URL, masters first as created. */
  readonly urls: string[]
  readonly nodes: ClusterNode[]
  /** The port of the master that serves `key`'s slot now. */
  masterPortOf(key: string): Promise<number>
  /** Kills one node with SIGKILL (no goodbye to the cluster). */
  kill(port: number): Promise<void>
  /** Resolves once every live node reports `cluster_state:ok` and `key`'s slot has a master. */
  waitHealthy(timeoutMs?: number): Promise<void>
  /** Runs `redis-cli -p <port> <args>` and returns its output. */
  cli(port: number, ...args: string[]): Promise<string>
  /** Kills every node and removes the folder. */
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()
let hooked = false

/** Kills what is still running when the test process goes, however it goes. */
function hookExit(): void {
  if (hooked) {
    return
  }
  hooked = true
  const killAll = (): void => {
    for (const child of live) {
      child.kill('SIGKILL')
    }
  }
  process.once('exit', killAll)
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      killAll()
      process.exit(128 + (signal === 'SIGTERM' ? 15 : 2))
    })
  }
}

/** Whether `port` is free on loopback. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** `count` consecutive free ports (and their cluster-bus twins, +10000) in 20000-54999. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (35000 - count))
    const ports = Array.from({ length: count }, (_, i) => base + i)
    const all = [...ports, ...ports.map((p) => p + 10000)]
    if ((await Promise.all(all.map(isFree))).every(Boolean)) {
      return base
    }
  }
  throw new Error('no free port range')
}

/** CRC16-XMODEM, the checksum Redis Cluster hashes keys with. */
function crc16(bytes: Uint8Array): number {
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    }
  }
  return crc
}

/** The hash slot of `key`, hash tags included, as `CLUSTER KEYSLOT` computes it. */
export function keySlot(key: string): number {
  const bytes = new TextEncoder().encode(key)
  const open = bytes.indexOf(0x7b)
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1)
    if (close > open + 1) {
      return crc16(bytes.subarray(open + 1, close)) % 16384
    }
  }
  return crc16(bytes) % 16384
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) {
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/**
 * Starts a Redis Cluster on loopback and resolves once every slot is served.
 *
 * @param options - Its shape and failover timeout; see {@link RedisClusterOptions}.
 * @returns The running cluster; call `stop()` in `afterAll`.
 * @throws `Error` when `redis-server` or `redis-cli` is missing or the cluster does not form.
 */
export async function startRedisCluster(
  options: RedisClusterOptions = {},
): Promise<RunningRedisCluster> {
  hookExit()
  const masters = options.masters ?? 3
  const count = masters * (1 + (options.replicas ?? 1))
  const dir = mkdtempSync(join(tmpdir(), 'cs-redis-cluster-'))
  const base = await freePortRange(count)
  const children = new Map<number, ChildProcess>()
  const nodes: ClusterNode[] = Array.from({ length: count }, (_, i) => ({
    port: base + i,
    url: `redis://127.0.0.1:${base + i}`,
  }))
  const cli = async (port: number, ...args: string[]) =>
    (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout
  const stop = async () => {
    for (const child of children.values()) {
      child.kill('SIGKILL')
      live.delete(child)
    }
    children.clear()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (const { port } of nodes) {
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          String(options.nodeTimeoutMs ?? 1000),
          '--cluster-replica-validity-factor',
          '0',
          '--loglevel',
          'warning',
        ],
        { stdio: 'ignore' },
      )
      children.set(port, child)
      live.add(child)
      child.once('exit', () => live.delete(child))
    }
    for (const { port } of nodes) {
      await waitFor(async () => (await cli(port, 'ping')).trim() === 'PONG', 10_000, 'redis-server')
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(options.replicas ?? 1),
      '--cluster-yes',
    ])
  } catch (error) {
    await stop()
    throw error
  }
  const alive = () => nodes.filter((n) => children.has(n.port))
  const cluster: RunningRedisCluster = {
    urls: nodes.map((n) => n.url),
    nodes,
    cli,
    stop,
    async masterPortOf(key) {
      const [any] = alive()
      const slot = keySlot(key)
      for (const line of (await cli(any!.port, 'cluster', 'nodes')).split('\n')) {
        const fields = line.trim().split(' ')
        if (!fields[2]?.includes('master') || fields[2].includes('fail')) {
          continue
        }
        for (const range of fields.slice(8)) {
          const [from, to = from] = range.split('-').map(Number)
          if (slot >= from! && slot <= to!) {
            return Number(fields[1]!.split(':')[1]!.split('@')[0])
          }
        }
      }
      throw new Error(`no master serves slot ${slot}`)
    },
    async kill(port) {
      const child = children.get(port)
      children.delete(port)
      if (child !== undefined) {
        const gone = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGKILL')
        await gone
      }
    },
    async waitHealthy(timeoutMs = 30_000) {
      await waitFor(
        async () => {
          for (const { port } of alive()) {
            if (!(await cli(port, 'cluster', 'info')).includes('cluster_state:ok')) {
              return false
            }
          }
          return true
        },
        timeoutMs,
        'cluster_state:ok',
      )
    },
  }
  try {
    await cluster.waitHealthy()
  } catch (error) {
    await stop()
    throw error
  }
  return cluster
}
