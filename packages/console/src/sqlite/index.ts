/// <reference types="node" />
/**
 * Node-only: the durable SQLite audit store (through the built-in `node:sqlite`).
 *
 * @module
 */
export type { SqliteAuditStoreOptions } from './create-sqlite-audit-store.ts'
export { createSqliteAuditStore } from './create-sqlite-audit-store.ts'
