/**
 * The console as one Web-standard handler.
 *
 * @module
 */
import type { KeyValueStore } from '@countersign/core'
import type { ApiKeys, ParameterTokens, SigningKeys, UserTokens } from '@countersign/tokens'
import type { AuditStore } from './audit-store.ts'
import type { ConsoleParts } from './internal/context.ts'
import { dispatch } from './internal/dispatch.ts'
import { createSessions } from './internal/sessions.ts'

/** Options for {@link createConsole}. */
export interface ConsoleOptions {
  /** The API keys the console manages; admin keys (scope `adminScope`) sign in. */
  apiKeys: ApiKeys
  /** User tokens, for token look-up and revocation. */
  userTokens?: UserTokens
  /** Parameter tokens, for token look-up and revocation. */
  parameterTokens?: ParameterTokens
  /** The signing keys of user tokens, for the key-ring view. */
  signingKeys?: SigningKeys
  /** Where audit events go (SQLite: `createSqliteAuditStore` from `@countersign/console/sqlite`). */
  audit: AuditStore
  /** Where sessions live (hashed): the token service's store works. */
  sessionStore: KeyValueStore
  /** The path the console is mounted at. Default `/console`. */
  basePath?: string
  /** How long a session lasts from sign-in, in ms (1 minute to 1 day). Default 1 hour. */
  sessionTtlMs?: number
  /** The scope a key needs to sign in. Default `admin`. */
  adminScope?: string
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
}

/** The console handler: answers requests under its base path, `undefined`-free (404 elsewhere). */
export type ConsoleHandler = (request: Request) => Promise<Response>

/**
 * Creates the console: the UI page and assets, and its JSON API under `<basePath>/api/`. Every
 * answer carries a strict CSP; every state change needs a session cookie, a same-origin request
 * and the session's CSRF token in `x-csrf-token`; every admin action goes to the audit log with
 * the signed-in key's id.
 *
 * @example
 * ```ts
 * const consoleHandler = createConsole({ apiKeys, userTokens, signingKeys, audit, sessionStore: store })
 * const handler = (request: Request) =>
 *   new URL(request.url).pathname.startsWith('/console') ? consoleHandler(request) : tokenService(request)
 * ```
 *
 * @throws `TypeError` when an option is invalid.
 */
export function createConsole(options: ConsoleOptions): ConsoleHandler {
  const basePath = options.basePath ?? '/console'
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) {
    throw new TypeError('expected basePath to be a path such as /console, without a trailing slash')
  }
  const sessionTtlMs = options.sessionTtlMs ?? 3_600_000
  if (!Number.isSafeInteger(sessionTtlMs) || sessionTtlMs < 60_000 || sessionTtlMs > 86_400_000) {
    throw new TypeError('expected sessionTtlMs to be from 60000 (1 minute) to 86400000 (1 day)')
  }
  const now = options.now ?? Date.now
  const parts: ConsoleParts = {
    apiKeys: options.apiKeys,
    userTokens: options.userTokens,
    parameterTokens: options.parameterTokens,
    signingKeys: options.signingKeys,
    audit: options.audit,
    sessions: createSessions(options.sessionStore, sessionTtlMs, now),
    graceStore: options.sessionStore,
    basePath,
    adminScope: options.adminScope ?? 'admin',
    sessionTtlMs,
    now,
  }
  return (request) => dispatch(parts, request)
}
