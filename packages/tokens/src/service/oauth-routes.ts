/**
 * The OAuth routes: RFC 7662 introspection and RFC 7009 revocation, for parameter and user
 * tokens. Errors are RFC 9457 problems with an RFC 6749 `error` member.
 *
 * @module
 */
import { TokenError } from '@countersign/core'
import { authenticateCaller } from './authenticate-caller.ts'
import { empty, json } from './http.ts'
import { readFormToken } from './request-body.ts'
import { callerOf, type RouteGroup, type ServiceParts } from './route.ts'
import { TOKEN_SERVICE_SCOPES } from './scopes.ts'

/** The OAuth route group. */
export function oauthRoutes(parts: ServiceParts): RouteGroup {
  const { apiKeys, parameterTokens, userTokens, maxBodyBytes } = parts
  const introspectParameterToken = async (token: string): Promise<Response> => {
    try {
      const info = await parameterTokens.inspect(token)
      return json(200, {
        active: true,
        token_type: 'parameter_token',
        exp: Math.floor(info.expiresAt.getTime() / 1000),
        iat: Math.floor(info.issuedAt.getTime() / 1000),
        ...(info.clientId === undefined ? {} : { client_id: info.clientId }),
      })
    } catch (error) {
      if (error instanceof TokenError) {
        return json(200, { active: false })
      }
      throw error
    }
  }
  return {
    style: 'oauth',
    routes: [
      {
        method: 'POST',
        path: '/oauth/introspect',
        async handle(ctx) {
          await authenticateCaller(apiKeys, ctx, TOKEN_SERVICE_SCOPES.introspect)
          const token = await readFormToken(ctx.request, maxBodyBytes)
          if (parameterTokens.isParameterToken(token)) {
            return introspectParameterToken(token)
          }
          return json(200, await userTokens.introspect(token))
        },
      },
      {
        method: 'POST',
        path: '/oauth/revoke',
        async handle(ctx) {
          await authenticateCaller(apiKeys, ctx, TOKEN_SERVICE_SCOPES.revoke)
          const token = await readFormToken(ctx.request, maxBodyBytes)
          const caller = callerOf(ctx)
          const restrict =
            caller.scopes?.includes(TOKEN_SERVICE_SCOPES.admin) === true
              ? {}
              : { clientId: caller.id }
          if (parameterTokens.isParameterToken(token)) {
            await parameterTokens.revoke(token, restrict)
          } else {
            await userTokens.revoke(token, restrict)
          }
          return empty(200)
        },
      },
    ],
  }
}
