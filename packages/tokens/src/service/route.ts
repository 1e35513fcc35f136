/**
 * The shapes shared by the token service's router and its route groups.
 *
 * @module
 */
import type { ApiKeys, VerifyApiKeyResult } from '../api-keys.ts'
import type { ParameterTokens } from '../parameter-tokens.ts'
import type { UserTokens } from '../user-tokens.ts'

/** How a group answers errors: compatibility routes answer as their seed did. */
export type ErrorStyle = 'problem' | 'kudo' | 'kaizala' | 'oauth'

/** What a route handler gets. */
export interface RouteContext {
  request: Request
  url: URL
  /** Set once an API key has been verified. */
  caller?: VerifyApiKeyResult & { id: string }
  /** The `:name` path parameters. */
  params: Record<string, string>
}

/** One route: a method, a path, a handler. */
export interface Route {
  method: string
  /** Literal path, or segments with `:name` parameters. */
  path: string
  handle: (ctx: RouteContext) => Promise<Response>
}

/** Routes that answer errors in one style. */
export interface RouteGroup {
  style: ErrorStyle
  routes: readonly Route[]
}

/** The caller of a route that has authenticated it. */
export function callerOf(ctx: RouteContext): VerifyApiKeyResult & { id: string } {
  if (ctx.caller === undefined) {
    throw new TypeError('the route did not authenticate its caller')
  }
  return ctx.caller
}

/** The components and limits every route group is built from. */
export interface ServiceParts {
  apiKeys: ApiKeys
  parameterTokens: ParameterTokens
  userTokens: UserTokens
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number
  /** `Cache-Control: max-age` of the JWKS, in seconds. */
  jwksMaxAgeSeconds: number
}
