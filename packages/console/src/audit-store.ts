/**
 * The audit log's event and store types: every verification, issuance, revocation, admin
 * action and sign-in as one durable event. Events carry ids and codes only, never a token, key
 * or secret.
 *
 * @module
 */

/** What kind of event it is. */
export type AuditEventType =
  | 'verification'
  | 'issuance'
  | 'revocation'
  | 'admin'
  | 'session'
  | 'relay'
  | 'other'

/** An event to record. */
export interface AuditEventInput {
  /** When it happened, epoch milliseconds. Default: now. */
  time?: number
  /** What kind of event it is. */
  type: AuditEventType
  /** What happened, e.g. `POST /generate` or `api_key.disable`. */
  action: string
  /** Who did it: the admin key id of a console session, or the calling API key id. */
  actor?: string
  /** The user the event concerns (a user id, never a token). */
  user?: string
  /** The API key id the event concerns. */
  keyId?: string
  /** The relay target or resource the event concerns. */
  target?: string
  /** The HTTP status of the outcome. */
  status: number
  /** The error code, when it failed. */
  code?: string
}

/** A stored event. */
export interface AuditEvent extends AuditEventInput {
  /** Increasing id; pages go by it. */
  id: number
  /** When it happened, epoch milliseconds. */
  time: number
}

/** A query over the audit log; every member optional and ANDed. */
export interface AuditQuery {
  /** Earliest time, inclusive (epoch ms). */
  from?: number
  /** Latest time, exclusive (epoch ms). */
  to?: number
  /** Event type. */
  type?: AuditEventType
  /** User id. */
  user?: string
  /** Key id (matches `keyId` or `actor`). */
  key?: string
  /** Target. */
  target?: string
  /** HTTP status. */
  status?: number
  /** Error code. */
  code?: string
  /** Only events with an id below this (the next page). */
  before?: number
  /** Most events returned, newest first. */
  limit?: number
}

/** Where audit events are kept (SQLite by default: `@countersign/console/sqlite`). */
export interface AuditStore {
  /** Records one event. Must not throw for valid input. */
  append(event: AuditEventInput): Promise<void>
  /** Events matching `query`, newest first. */
  query(query: AuditQuery): Promise<AuditEvent[]>
  /** Releases the store. */
  close(): Promise<void>
}
