/**
 * What the Redis store needs from a connection (internal), with the single-node implementation
 * on a node-redis client. The cluster one is in `redis-cluster.ts`.
 *
 * @module
 */

import type { RedisClientLike } from './redis.ts'

/** The timings both connection kinds share. */
export interface RedisTimeouts {
  connectTimeoutMs: number
  commandTimeoutMs: number
  maxReconnectDelayMs: number
  /** The pause before reconnection attempt `retries` (capped, jittered). */
  backoff(retries: number): number
}

/** A connection to one Redis or to a Redis Cluster. */
export interface RedisConnection {
  /** Settles once connected or after the first failed attempt; never rejects. */
  readonly opened: Promise<void>
  /** Whether commands can be sent now. */
  readonly isReady: boolean
  /** Sends one command, routed (on a cluster) by `firstKey`. */
  send(firstKey: string | undefined, args: string[]): Promise<unknown>
  /** One command sender per master: a single node is its own only master. */
  masters(): Promise<Array<(args: string[]) => Promise<unknown>>>
  /** Closes once pending replies have arrived. */
  close(): Promise<void>
  /** Closes at once. */
  destroy(): void
}

/** Wraps a node-redis client; `opened` settles after connecting or the first failure. */
export function singleNodeConnection(
  client: RedisClientLike,
  timeouts: RedisTimeouts,
): RedisConnection {
  const opened = client.isOpen
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          client.off('error', done)
          resolve()
        }
        const timer = setTimeout(done, timeouts.connectTimeoutMs)
        client.on('error', done)
        client.connect().then(done, done)
      })
  const send = (args: string[]) => client.sendCommand(args, { timeout: timeouts.commandTimeoutMs })
  return {
    opened,
    get isReady() {
      return client.isReady
    },
    send: (_firstKey, args) => send(args),
    masters: async () => [send],
    close: async () => {
      await client.close()
    },
    destroy: () => {
      if (client.isOpen) {
        client.destroy()
      }
    },
  }
}
