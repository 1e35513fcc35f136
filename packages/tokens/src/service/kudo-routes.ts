/**
 * The Kudo-compatible routes: `POST /generate` and `GET /verify`. Errors are 403 `{ message }`
 * with the code in the `countersign-error` header.
 *
 * @module
 */
import { TokenError } from '@countersign/core'
import { asBadInput } from './as-bad-input.ts'
import { authenticateCaller } from './authenticate-caller.ts'
import { json } from './http.ts'
import { readJsonObject } from './request-body.ts'
import { callerOf, type RouteGroup, type ServiceParts } from './route.ts'
import { TOKEN_SERVICE_SCOPES } from './scopes.ts'

/** The Kudo route group. */
export function kudoRoutes(parts: ServiceParts): RouteGroup {
  const { apiKeys, parameterTokens, maxBodyBytes } = parts
  return {
    style: 'kudo',
    routes: [
      {
        method: 'POST',
        path: '/generate',
        async handle(ctx) {
          await authenticateCaller(apiKeys, ctx, TOKEN_SERVICE_SCOPES.generate, 'header-only')
          const params = await readJsonObject(ctx.request, maxBodyBytes)
          const clientId = callerOf(ctx).id
          const issued = await asBadInput(() => parameterTokens.issue(params, { clientId }))
          return json(200, {
            token: issued.token,
            expiration_time: Math.floor(issued.expiresAt.getTime() / 1000),
          })
        },
      },
      {
        method: 'GET',
        path: '/verify',
        async handle(ctx) {
          const token = ctx.request.headers.get('x-api-token')
          if (token === null || token.length === 0) {
            throw new TokenError('token_missing', 'Missing token')
          }
          return json(200, await parameterTokens.verify(token))
        },
      },
    ],
  }
}
