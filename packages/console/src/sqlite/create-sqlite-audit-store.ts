/// <reference types="node" />
/**
 * The audit log in one SQLite file (WAL), with retention.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from 'node:sqlite'
import type { AuditEvent, AuditEventInput, AuditQuery, AuditStore } from '../audit-store.ts'

/** Options for {@link createSqliteAuditStore}. */
export interface SqliteAuditStoreOptions {
  /** The database file (created if missing), or `:memory:`. */
  path: string
  /** How long events are kept, in ms. Default 90 days. */
  retentionMs?: number
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  type TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT, user TEXT, key_id TEXT, target TEXT,
  status INTEGER NOT NULL,
  code TEXT
);
CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (time);`

const COLUMNS: Record<string, string> = {
  user: 'user',
  target: 'target',
  code: 'code',
  type: 'type',
  status: 'status',
}

function where(query: AuditQuery): { sql: string; args: SQLInputValue[] } {
  const clauses: string[] = []
  const args: SQLInputValue[] = []
  const add = (clause: string, ...values: SQLInputValue[]): void => {
    clauses.push(clause)
    args.push(...values)
  }
  if (query.from !== undefined) {
    add('time >= ?', query.from)
  }
  if (query.to !== undefined) {
    add('time < ?', query.to)
  }
  if (query.before !== undefined) {
    add('id < ?', query.before)
  }
  if (query.key !== undefined) {
    add('(key_id = ? OR actor = ?)', query.key, query.key)
  }
  for (const [name, column] of Object.entries(COLUMNS)) {
    const value = query[name as keyof AuditQuery]
    if (value !== undefined) {
      add(`${column} = ?`, value)
    }
  }
  return { sql: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, args }
}

function toEvent(row: Record<string, SQLInputValue>): AuditEvent {
  const event: AuditEvent = {
    id: Number(row.id),
    time: Number(row.time),
    type: row.type as AuditEvent['type'],
    action: String(row.action),
    status: Number(row.status),
  }
  for (const [column, name] of [
    ['actor', 'actor'],
    ['user', 'user'],
    ['key_id', 'keyId'],
    ['target', 'target'],
    ['code', 'code'],
  ] as const) {
    if (row[column] !== null && row[column] !== undefined) {
      event[name] = String(row[column])
    }
  }
  return event
}

/**
 * Opens (or creates) a SQLite audit store. Events older than the retention are deleted as new
 * ones arrive (at most once a minute).
 *
 * @example
 * ```ts
 * const audit = createSqliteAuditStore({ path: './countersign-audit.db', retentionMs: 30 * 86_400_000 })
 * await audit.append({ type: 'admin', action: 'api_key.create', actor: 'ak_…', status: 201 })
 * ```
 *
 * @throws `TypeError` for an invalid retention; the `node:sqlite` error when the file cannot be opened.
 */
export function createSqliteAuditStore(options: SqliteAuditStoreOptions): AuditStore {
  const retentionMs = options.retentionMs ?? 90 * 86_400_000
  if (!Number.isSafeInteger(retentionMs) || retentionMs < 1) {
    throw new TypeError('expected retentionMs to be a positive whole number of milliseconds')
  }
  const now = options.now ?? Date.now
  const db = new DatabaseSync(options.path)
  db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;')
  db.exec(SCHEMA)
  const insert = db.prepare(
    'INSERT INTO audit_events (time, type, action, actor, user, key_id, target, status, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
  const prune = db.prepare('DELETE FROM audit_events WHERE time < ?')
  let prunedAt = Number.NEGATIVE_INFINITY
  return {
    async append(event: AuditEventInput) {
      const t = now()
      insert.run(
        event.time ?? t,
        event.type,
        event.action,
        event.actor ?? null,
        event.user ?? null,
        event.keyId ?? null,
        event.target ?? null,
        event.status,
        event.code ?? null,
      )
      if (t - prunedAt >= 60_000) {
        prunedAt = t
        prune.run(t - retentionMs)
      }
    },
    async query(query: AuditQuery) {
      const { sql, args } = where(query)
      const limit = Math.min(Math.max(query.limit ?? 100, 1), 10_000)
      const rows = db
        .prepare(`SELECT * FROM audit_events ${sql} ORDER BY id DESC LIMIT ?`)
        .all(...args, limit)
      return rows.map((row) => toEvent(row as Record<string, SQLInputValue>))
    },
    async close() {
      if (db.isOpen) {
        db.close()
      }
    },
  }
}
