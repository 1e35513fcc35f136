/**
 * The Redis Cluster side of the Redis store (internal): opens a node-redis cluster client and
 * gives the store the same three things a single client gives it, a readiness flag, one routed
 * command, and one command per master (for `SCAN`).
 *
 * @module
 */

import { createCluster, type RedisClusterType } from 'redis'
import type { RedisConnection, RedisTimeouts } from './redis-connection.ts'

/** The node options a URL gives: host, port, TLS and ACL credentials (never logged). */
function nodeOptions(url: string): { host: string; port: number } & Record<string, unknown> {
  const parsed = new URL(url)
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError('not a redis: or rediss: URL')
  }
  const port = parsed.port === '' ? 6379 : Number(parsed.port)
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port }
}

/** The ACL credentials and TLS setting shared by every node, from the first URL. */
function sharedOptions(url: string): Record<string, unknown> {
  const parsed = new URL(url)
  const shared: Record<string, unknown> = {}
  if (parsed.username !== '') {
    shared.username = decodeURIComponent(parsed.username)
  }
  if (parsed.password !== '') {
    shared.password = decodeURIComponent(parsed.password)
  }
  if (parsed.protocol === 'rediss:') {
    shared.tls = true
  }
  return shared
}

/**
 * Opens a cluster client on `rootNodes`. Commands fail fast while their node is unreachable (no
 * offline queue), and the topology is refreshed soon after a node starts reconnecting, so a
 * promoted replica takes over its slots without a restart. When no root node answers at first,
 * connection attempts go on in the background with capped backoff.
 */
export function connectRedisCluster(
  rootNodes: readonly string[],
  timeouts: RedisTimeouts,
): RedisConnection {
  const [first] = rootNodes
  if (first === undefined) {
    throw new TypeError('options.cluster.rootNodes must list at least one URL')
  }
  const shared = sharedOptions(first)
  const tls = shared.tls === true
  delete shared.tls
  const socket = {
    connectTimeout: timeouts.connectTimeoutMs,
    reconnectStrategy: (retries: number) => timeouts.backoff(retries),
    ...(tls ? { tls: true as const } : {}),
  }
  const cluster: RedisClusterType = createCluster({
    rootNodes: rootNodes.map((url) => ({ ...shared, socket: { ...socket, ...nodeOptions(url) } })),
    defaults: { ...shared, socket, disableOfflineQueue: true },
    commandOptions: { timeout: timeouts.commandTimeoutMs },
    // Rediscover the slots a second after a node starts reconnecting (default 5 s): the window
    // in which a dead master's slots fail closed is the failover time plus this.
    topologyRefreshOnReconnectionAttemptStrategy: Math.min(1000, timeouts.maxReconnectDelayMs),
  }) as unknown as RedisClusterType
  // Node and topology errors arrive as events; unhandled, they would crash the process.
  const ignore = (): void => {}
  cluster.on('error', ignore)
  cluster.on('node-error', ignore)

  let closed = false
  let retries = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const open = (): Promise<void> =>
    cluster.connect().then(
      () => undefined,
      () => {
        if (!closed) {
          timer = setTimeout(() => void open(), timeouts.backoff(retries++))
        }
      },
    )
  const opened = open()

  return {
    opened,
    get isReady() {
      return cluster.isReady
    },
    send: (firstKey, args) =>
      cluster.sendCommand(firstKey, false, args, { timeout: timeouts.commandTimeoutMs }),
    async masters() {
      const senders: Array<(args: string[]) => Promise<unknown>> = []
      for (const master of cluster.masters) {
        const client = await cluster.nodeClient(master)
        senders.push((args) => client.sendCommand(args, { timeout: timeouts.commandTimeoutMs }))
      }
      return senders
    },
    async close() {
      closed = true
      clearTimeout(timer)
      if (cluster.isOpen) {
        await cluster.close().catch(() => cluster.destroy())
      }
    },
    destroy() {
      closed = true
      clearTimeout(timer)
      if (cluster.isOpen) {
        cluster.destroy()
      }
    },
  }
}
