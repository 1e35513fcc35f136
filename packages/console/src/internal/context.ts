/**
 * What every console route handler gets: the request, its URL and path parameters, the signed-in
 * session, and the console's parts.
 *
 * @module
 */
import type { ApiKeys, ParameterTokens, SigningKeys, UserTokens } from '@countersign/tokens'
import type { AuditEventInput, AuditStore } from '../audit-store.ts'
import type { Session, Sessions } from './sessions.ts'

/** The console's parts, shared by every route. */
export interface ConsoleParts {
  apiKeys: ApiKeys
  userTokens: UserTokens | undefined
  parameterTokens: ParameterTokens | undefined
  signingKeys: SigningKeys | undefined
  audit: AuditStore
  sessions: Sessions
  /** The grace-period notes of rerolled keys (id → until), kept beside the sessions. */
  graceStore: import('@countersign/core').KeyValueStore
  basePath: string
  adminScope: string
  sessionTtlMs: number
  now: () => number
}

/** One request to a console route. */
export interface RouteContext {
  request: Request
  url: URL
  params: Record<string, string>
  /** The session (routes marked `public` may run without one). */
  session: Session | undefined
  parts: ConsoleParts
  /** Records an admin action by the signed-in actor. */
  record(event: Omit<AuditEventInput, 'actor'>): Promise<void>
}

/** A console route. */
export interface ConsoleRoute {
  method: 'GET' | 'POST' | 'DELETE'
  /** Segments after `<base>/api/`, with `:name` parameters. */
  path: string
  /** Runs without a session (sign-in and the session probe). */
  public?: boolean
  handle(ctx: RouteContext): Promise<Response>
}
