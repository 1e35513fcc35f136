/**
 * `@countersign/store`: the SQLite store, the one that needs no other package.
 *
 * The Redis store lives at `@countersign/store/redis` only, because it needs the `redis`
 * client, an optional peer dependency (`npm install redis`): importing this entry never loads
 * it, so an application on SQLite installs no Redis client.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from '@countersign/store' // same as '@countersign/store/sqlite'
 * import { createRedisStore } from '@countersign/store/redis' // after: npm install redis
 *
 * const store = createSqliteStore({ path: './countersign.db' })
 * ```
 *
 * @module
 */
export type { SqliteStoreOptions } from './sqlite.ts'
export { createSqliteStore } from './sqlite.ts'
