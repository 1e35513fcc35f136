/**
 * Sign-in with an admin API key into a session cookie, the session probe, and sign-out.
 *
 * @module
 */

import { readJsonBody, requiredString } from './body.ts'
import type { ConsoleRoute, RouteContext } from './context.ts'
import { ConsoleError, json } from './http.ts'
import { cookieHeader, sessionCookie } from './sessions.ts'

function sessionBody(ctx: RouteContext, session: NonNullable<RouteContext['session']>): object {
  return {
    actor: session.actor,
    name: session.name,
    csrf: session.csrf,
    expiresAt: new Date(session.expiresAt).toISOString(),
    features: {
      tokens: ctx.parts.userTokens !== undefined || ctx.parts.parameterTokens !== undefined,
      signingKeys: ctx.parts.signingKeys !== undefined,
    },
  }
}

async function signIn(ctx: RouteContext): Promise<Response> {
  const body = await readJsonBody(ctx.request, ['key'])
  const key = requiredString(body, 'key', 512)
  const result = await ctx.parts.apiKeys.verifyApiKey(key, { scope: ctx.parts.adminScope })
  if (!result.valid || result.id === undefined) {
    await ctx.parts.audit.append({
      type: 'session',
      action: 'session.sign_in',
      status: 401,
      code: 'sign_in_failed',
      ...(result.id === undefined ? {} : { keyId: result.id }),
    })
    throw new ConsoleError(401, 'sign_in_failed', 'that is not a valid admin API key')
  }
  const { id, session } = await ctx.parts.sessions.create(result.id, result.name ?? '')
  await ctx.parts.audit.append({
    type: 'session',
    action: 'session.sign_in',
    actor: result.id,
    keyId: result.id,
    status: 200,
  })
  const maxAge = Math.floor(ctx.parts.sessionTtlMs / 1000)
  return json(200, sessionBody(ctx, session), {
    'set-cookie': cookieHeader(ctx.url, ctx.parts.basePath, id, maxAge),
  })
}

/** The session routes. */
export const sessionRoutes: ConsoleRoute[] = [
  { method: 'POST', path: 'session', public: true, handle: signIn },
  {
    method: 'GET',
    path: 'session',
    public: true,
    async handle(ctx) {
      if (ctx.session === undefined) {
        throw new ConsoleError(401, 'session_missing', 'sign in with an admin API key')
      }
      return json(200, sessionBody(ctx, ctx.session))
    },
  },
  {
    method: 'DELETE',
    path: 'session',
    async handle(ctx) {
      await ctx.parts.sessions.end(sessionCookie(ctx.request))
      await ctx.record({ type: 'session', action: 'session.sign_out', status: 200 })
      return json(
        200,
        { signedOut: true },
        {
          'set-cookie': cookieHeader(ctx.url, ctx.parts.basePath, '', 0),
        },
      )
    },
  },
]
