/**
 * The Countersign console: a self-hosted web UI and JSON API for API keys, tokens, signing keys
 * and the audit log, as one Web-standard handler to mount in front of the token service. The
 * SQLite audit store is Node-only, at `@countersign/console/sqlite`.
 *
 * @module
 */
export type {
  AuditEvent,
  AuditEventInput,
  AuditEventType,
  AuditQuery,
  AuditStore,
} from './audit-store.ts'
export type { ConsoleHandler, ConsoleOptions } from './create-console.ts'
export { createConsole } from './create-console.ts'
export { tokenServiceAuditLogger } from './token-service-audit-logger.ts'
