/**
 * Opening the token service's store (SQLite file or Redis), bounded at start-up.
 *
 * @module
 */
import type { Store } from '@countersign/core'
import { CliError, EXIT } from '../cli-error.ts'

/** Where the store is. */
export interface TokenStoreChoice {
  db: string
  redis: string | undefined
  redisPrefix: string | undefined
  /** The start-up budget; one Redis connection attempt gets at most this much. */
  timeoutMs: number
}

/** Opens SQLite or Redis; a file that cannot be opened is a start-up error. */
export async function openTokenStore(choice: TokenStoreChoice): Promise<Store> {
  if (choice.redis !== undefined) {
    let url: URL
    try {
      url = new URL(choice.redis)
    } catch {
      throw new CliError(EXIT.usage, '--redis must be a URL such as redis://127.0.0.1:6379')
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new CliError(EXIT.usage, '--redis must be a redis:// or rediss:// URL')
    }
    const { createRedisStore } = await import('@countersign/store/redis')
    return createRedisStore({
      url: choice.redis,
      connectTimeoutMs: Math.min(2000, choice.timeoutMs),
      ...(choice.redisPrefix === undefined ? {} : { prefix: choice.redisPrefix }),
    })
  }
  const { createSqliteStore } = await import('@countersign/store/sqlite')
  try {
    return createSqliteStore({ path: choice.db })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new CliError(EXIT.startup, `cannot open SQLite database ${choice.db}: ${reason}`)
  }
}
