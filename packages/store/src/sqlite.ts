/**
 * A {@link Store} on one SQLite file through Node's built-in `node:sqlite`: no native build, WAL
 * journal, survives restarts, and safe for several processes sharing the file.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from '@countersign/store/sqlite'
 *
 * const store = createSqliteStore({ path: './countersign.db' })
 * if (!(await store.consumeOnce(nonceHash, 300_000))) throw new Error('replayed')
 * ```
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { HitOptions, HitResult, SetOptions, Store } from '@countersign/core'
import { StoreError } from '@countersign/core'
import {
  checkHit,
  checkKey,
  checkList,
  checkPositiveInteger,
  checkSetOptions,
  checkValue,
  hitResult,
  isAllowed,
  prefixUpperBound,
  readClock,
} from '@countersign/core/store-kit'

/** Options for {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * The database file, created if missing. Several processes may open the same file. `':memory:'`
   * gives a private in-memory database (useful in tests, gone on close).
   */
  path: string
  /**
   * How often expired rows are deleted, in milliseconds (default 60 000). The timer does not keep
   * the process alive. `0` turns periodic sweeping off; expired rows are still never returned.
   */
  sweepIntervalMs?: number
  /**
   * How long a call waits for another process's write lock before failing with
   * `store_unavailable`, in milliseconds (default 5000). The wait blocks the event loop, as every
   * `node:sqlite` call does.
   */
  busyTimeoutMs?: number
  /** The clock, in milliseconds since the epoch (default `Date.now`). For tests. */
  now?: () => number
}

const SCHEMA_VERSION = 1
const SWEEP_BATCH = 5000
const SWEEP_MAX_BATCHES = 20
const SQLITE_FULL = 13

const SCHEMA = `
CREATE TABLE IF NOT EXISTS countersign_meta (
  name TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS countersign_kv (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL,
  expires_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS countersign_kv_expires ON countersign_kv (expires_at)
  WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS countersign_once (
  key TEXT PRIMARY KEY NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS countersign_once_expires ON countersign_once (expires_at);
CREATE TABLE IF NOT EXISTS countersign_counters (
  key TEXT PRIMARY KEY NOT NULL,
  window_ms INTEGER NOT NULL,
  window INTEGER NOT NULL,
  previous INTEGER NOT NULL,
  current INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS countersign_counters_expires ON countersign_counters (expires_at);
`

/** The SQL of every statement, prepared once per store. */
const SQL = {
  consumeOnce: `INSERT INTO countersign_once (key, expires_at) VALUES (?1, ?2)
    ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
    WHERE countersign_once.expires_at <= ?3`,
  get: `SELECT value FROM countersign_kv
    WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)`,
  set: `INSERT INTO countersign_kv (key, value, expires_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
  setIfAbsent: `INSERT INTO countersign_kv (key, value, expires_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
    WHERE countersign_kv.expires_at IS NOT NULL AND countersign_kv.expires_at <= ?4`,
  delete: 'DELETE FROM countersign_kv WHERE key = ?1 RETURNING expires_at',
  listAll: `SELECT key, value FROM countersign_kv
    WHERE key >= ?1 AND (expires_at IS NULL OR expires_at > ?2)
    ORDER BY key LIMIT ?3`,
  listRange: `SELECT key, value FROM countersign_kv
    WHERE key >= ?1 AND key < ?4 AND (expires_at IS NULL OR expires_at > ?2)
    ORDER BY key LIMIT ?3`,
  readCounter: `SELECT window_ms, window, previous, current, expires_at FROM countersign_counters
    WHERE key = ?1`,
  writeCounter: `INSERT OR REPLACE INTO countersign_counters
    (key, window_ms, window, previous, current, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
  begin: 'BEGIN IMMEDIATE',
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
  sweepKv: `DELETE FROM countersign_kv WHERE key IN (SELECT key FROM countersign_kv
    WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ${SWEEP_BATCH})`,
  sweepOnce: `DELETE FROM countersign_once WHERE key IN (SELECT key FROM countersign_once
    WHERE expires_at <= ?1 LIMIT ${SWEEP_BATCH})`,
  sweepCounters: `DELETE FROM countersign_counters WHERE key IN (SELECT key FROM countersign_counters
    WHERE expires_at <= ?1 LIMIT ${SWEEP_BATCH})`,
} as const

type Statements = { [K in keyof typeof SQL]: StatementSync }

/**
 * Wraps a SQLite failure into a {@link StoreError}. The message names only the operation, and
 * the cause keeps only SQLite's generic error text (e.g. "database is locked"), never SQL, keys
 * or values.
 */
function storeError(operation: string, error: unknown): Error {
  if (error instanceof StoreError || error instanceof TypeError || error instanceof RangeError) {
    return error
  }
  const errcode = (error as { errcode?: unknown } | null)?.errcode
  const errstr = (error as { errstr?: unknown } | null)?.errstr
  const cause = new Error(typeof errstr === 'string' ? `SQLite: ${errstr}` : 'SQLite error')
  if (typeof errcode === 'number' && (errcode & 0xff) === SQLITE_FULL) {
    return new StoreError('store_full', `SQLite store is full (${operation})`, { cause })
  }
  return new StoreError('store_unavailable', `SQLite store unavailable (${operation})`, { cause })
}

/**
 * Opens (creating if needed) a SQLite-backed {@link Store}.
 *
 * Every operation is one atomic statement or one `BEGIN IMMEDIATE` transaction, so the store is
 * safe for many concurrent callers in this process and for several processes on the same file
 * (WAL journal, `synchronous=NORMAL`, a busy timeout). Keys and values are stored exactly as
 * given: pass already-hashed keys for secrets. Expired rows are never returned and are deleted
 * by a periodic sweep that does not keep the process alive. A failing database makes calls reject
 * with a retryable {@link StoreError} (`store_unavailable`, or `store_full` when the disk is
 * full) whose message holds no SQL, key or value.
 *
 * @param options - The file path and tuning; see {@link SqliteStoreOptions}.
 * @returns The open store. Call `close()` to release the file.
 * @throws `StoreError` (`store_unavailable`) when the file cannot be opened or initialised.
 * @throws `TypeError` or `RangeError` when the options are malformed.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object with a path')
  }
  const { path, sweepIntervalMs = 60_000, busyTimeoutMs = 5000, now = Date.now } = options
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError('options.path must be a non-empty string')
  }
  for (const [name, value] of [
    ['sweepIntervalMs', sweepIntervalMs],
    ['busyTimeoutMs', busyTimeoutMs],
  ] as const) {
    if (typeof value !== 'number') {
      throw new TypeError(`options.${name} must be a number`)
    }
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`options.${name} must be a non-negative integer`)
    }
  }
  if (typeof now !== 'function') {
    throw new TypeError('options.now must be a function')
  }

  let db: DatabaseSync
  let st: Statements
  try {
    db = new DatabaseSync(path)
  } catch (error) {
    throw storeError('open', error)
  }
  try {
    // The busy timeout first, so that the schema setup below also waits for other processes.
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec(`BEGIN IMMEDIATE; ${SCHEMA}
      INSERT INTO countersign_meta (name, value) VALUES ('schema_version', '${SCHEMA_VERSION}')
        ON CONFLICT (name) DO NOTHING;
      COMMIT;`)
    const version = db
      .prepare("SELECT value FROM countersign_meta WHERE name = 'schema_version'")
      .get()?.value
    if (version !== String(SCHEMA_VERSION)) {
      throw new StoreError(
        'store_unavailable',
        'the SQLite file has an unsupported schema version',
        {
          retryable: false,
        },
      )
    }
    st = Object.fromEntries(
      Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Statements
  } catch (error) {
    try {
      if (db.isTransaction) {
        db.exec('ROLLBACK')
      }
      db.close()
    } catch {
      // Already failing: report the first error.
    }
    throw storeError('open', error)
  }

  let closed = false
  let sweepTimer: ReturnType<typeof setInterval> | undefined

  /** The current time in whole milliseconds; rejects once the store is closed. */
  const clock = (): number => {
    if (closed) {
      throw new StoreError('store_unavailable', 'SQLite store is closed', { retryable: false })
    }
    return readClock(now)
  }

  /** Runs `body` as one `BEGIN IMMEDIATE` transaction: the write lock is taken up front. */
  const transaction = <T>(body: () => T): T => {
    st.begin.run()
    try {
      const result = body()
      st.commit.run()
      return result
    } catch (error) {
      if (db.isTransaction) {
        st.rollback.run()
      }
      throw error
    }
  }

  const sweep = (): void => {
    const at = clock()
    for (const statement of [st.sweepKv, st.sweepOnce, st.sweepCounters]) {
      for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
        if (Number(statement.run(at).changes) < SWEEP_BATCH) {
          break
        }
      }
    }
  }

  if (sweepIntervalMs > 0) {
    sweepTimer = setInterval(() => {
      try {
        sweep()
      } catch {
        // A busy or failing database must not crash the process; the next sweep retries.
      }
    }, sweepIntervalMs)
    sweepTimer.unref()
  }

  /** Runs one operation, turning SQLite failures into {@link StoreError}s. */
  const guarded = <T>(operation: string, body: () => T): T => {
    try {
      return body()
    } catch (error) {
      throw storeError(operation, error)
    }
  }

  return {
    async consumeOnce(key: string, ttlMs: number): Promise<boolean> {
      checkKey(key)
      checkPositiveInteger(ttlMs, 'ttlMs')
      return guarded('consumeOnce', () => {
        const at = clock()
        return Number(st.consumeOnce.run(key, at + ttlMs, at).changes) === 1
      })
    },

    async get(key: string): Promise<string | undefined> {
      checkKey(key)
      return guarded('get', () => {
        const row = st.get.get(key, clock())
        return row === undefined ? undefined : (row.value as string)
      })
    },

    async set(key: string, value: string, options?: SetOptions): Promise<boolean> {
      checkKey(key)
      checkValue(value)
      const { ttlMs, ifAbsent } = checkSetOptions(options)
      return guarded('set', () => {
        const at = clock()
        const expiresAt = ttlMs === undefined ? null : at + ttlMs
        if (ifAbsent) {
          return Number(st.setIfAbsent.run(key, value, expiresAt, at).changes) === 1
        }
        st.set.run(key, value, expiresAt)
        return true
      })
    },

    async delete(key: string): Promise<boolean> {
      checkKey(key)
      return guarded('delete', () => {
        const at = clock()
        const row = st.delete.get(key)
        if (row === undefined) {
          return false
        }
        const expiresAt = row.expires_at as number | null
        return expiresAt === null || expiresAt > at
      })
    },

    async list(prefix: string, options?: { limit?: number }) {
      const limit = checkList(prefix, options)
      return guarded('list', () => {
        const at = clock()
        const upper = prefixUpperBound(prefix)
        const rows =
          upper === undefined
            ? st.listAll.all(prefix, at, limit)
            : st.listRange.all(prefix, at, limit, upper)
        return rows.map((row) => ({ key: row.key as string, value: row.value as string }))
      })
    },

    async hit(key: string, options: HitOptions): Promise<HitResult> {
      checkKey(key)
      const checked = checkHit(options)
      const { windowMs, cost } = checked
      return guarded('hit', () => {
        const at = clock()
        return transaction(() => {
          let row = st.readCounter.get(key)
          // Another windowMs, or both windows past: the key starts afresh.
          if (row !== undefined && (row.window_ms !== windowMs || Number(row.expires_at) <= at)) {
            row = undefined
          }
          let index = Math.floor(at / windowMs)
          let previous = 0
          let current = 0
          if (row !== undefined) {
            const recorded = Number(row.window)
            if (recorded > index) {
              // The clock went backwards: keep counting in the window already recorded.
              index = recorded
            }
            if (recorded === index) {
              previous = Number(row.previous)
              current = Number(row.current)
            } else if (recorded === index - 1) {
              previous = Number(row.current)
            }
          }
          const elapsed = Math.min(Math.max(at - index * windowMs, 0), windowMs - 1)
          const allowed = isAllowed(previous, current, elapsed, checked)
          if (allowed) {
            // Kept until both counts weigh nothing: the end of the next window.
            st.writeCounter.run(
              key,
              windowMs,
              index,
              previous,
              current + cost,
              (index + 2) * windowMs,
            )
          }
          return hitResult(previous, current, elapsed, allowed, checked)
        })
      })
    },

    async ping(): Promise<void> {
      clock()
      guarded('ping', () => db.prepare('SELECT 1').get())
    },

    async close(): Promise<void> {
      if (closed) {
        return
      }
      closed = true
      if (sweepTimer !== undefined) {
        clearInterval(sweepTimer)
      }
      guarded('close', () => db.close())
    },
  }
}
