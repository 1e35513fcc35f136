/**
 * Token routes: look up a parameter token or a user token (sent in the body, never in a URL;
 * hashed by the tokens package before any lookup, never stored or logged here) and revoke it.
 *
 * @module
 */
import { isCountersignError } from '@countersign/core'
import { readJsonBody, requiredString } from './body.ts'
import type { ConsoleRoute, RouteContext } from './context.ts'
import { ConsoleError, json } from './http.ts'

type Kind = 'parameter' | 'user'

function kindOf(ctx: RouteContext, token: string): Kind {
  if (ctx.parts.parameterTokens?.isParameterToken(token) === true) {
    return 'parameter'
  }
  if (ctx.parts.userTokens !== undefined) {
    return 'user'
  }
  throw new ConsoleError(400, 'token_unsupported', 'this console has no tokens of that kind')
}

async function readToken(ctx: RouteContext): Promise<{ token: string; kind: Kind }> {
  const body = await readJsonBody(ctx.request, ['token'])
  const token = requiredString(body, 'token', 8192).trim()
  return { token, kind: kindOf(ctx, token) }
}

async function lookupParameter(ctx: RouteContext, token: string): Promise<object> {
  try {
    const info = await (
      ctx.parts.parameterTokens as NonNullable<typeof ctx.parts.parameterTokens>
    ).inspect(token)
    return {
      kind: 'parameter',
      state: 'active',
      expiresAt: info.expiresAt.toISOString(),
      issuedAt: info.issuedAt.toISOString(),
      singleUse: info.singleUse,
      clientId: info.clientId ?? null,
    }
  } catch (error) {
    if (isCountersignError(error) && error.code.startsWith('token_')) {
      const state = error.code === 'token_invalid' ? 'unknown' : error.code.slice('token_'.length)
      return { kind: 'parameter', state }
    }
    throw error
  }
}

async function lookupUser(ctx: RouteContext, token: string): Promise<object> {
  const answer = await (
    ctx.parts.userTokens as NonNullable<typeof ctx.parts.userTokens>
  ).introspect(token)
  if (!answer.active) {
    return { kind: 'user', state: 'inactive' }
  }
  return {
    kind: 'user',
    state: 'active',
    id: answer.jti,
    user: answer.sub,
    audience: answer.aud,
    clientId: answer.client_id,
    issuedAt: new Date(answer.iat * 1000).toISOString(),
    expiresAt: new Date(answer.exp * 1000).toISOString(),
  }
}

/** The token routes. */
export const tokenRoutes: ConsoleRoute[] = [
  {
    method: 'POST',
    path: 'tokens/lookup',
    async handle(ctx) {
      const { token, kind } = await readToken(ctx)
      return json(
        200,
        kind === 'parameter' ? await lookupParameter(ctx, token) : await lookupUser(ctx, token),
      )
    },
  },
  {
    method: 'POST',
    path: 'tokens/revoke',
    async handle(ctx) {
      const { token, kind } = await readToken(ctx)
      const parts = ctx.parts
      const subject = (
        kind === 'user' ? await lookupUser(ctx, token) : await lookupParameter(ctx, token)
      ) as {
        state: string
        user?: string
      }
      const revoked =
        subject.state === 'active' &&
        (kind === 'parameter'
          ? await (parts.parameterTokens as NonNullable<typeof parts.parameterTokens>).revoke(token)
          : await (parts.userTokens as NonNullable<typeof parts.userTokens>).revoke(token))
      const user = subject.user
      await ctx.record({
        type: 'revocation',
        action: `${kind}_token.revoke`,
        status: revoked ? 200 : 404,
        ...(user === undefined ? {} : { user }),
        ...(revoked ? {} : { code: 'token_not_active' }),
      })
      if (!revoked) {
        throw new ConsoleError(404, 'token_not_active', 'no active token matches')
      }
      return json(200, { kind, revoked: true })
    },
  },
]
