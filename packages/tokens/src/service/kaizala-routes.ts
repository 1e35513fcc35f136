/**
 * The Kaizala-compatible route: `GET /v1/users/me` with the user token in `accessToken`.
 * Errors are 401 `{ message }` with the code in the `countersign-error` header.
 *
 * @module
 */
import { TokenError } from '@countersign/core'
import { json } from './http.ts'
import type { RouteGroup, ServiceParts } from './route.ts'

/** The Kaizala route group. */
export function kaizalaRoutes(parts: ServiceParts): RouteGroup {
  const { userTokens } = parts
  return {
    style: 'kaizala',
    routes: [
      {
        method: 'GET',
        path: '/v1/users/me',
        async handle(ctx) {
          const token = ctx.request.headers.get('accesstoken')
          if (token === null || token.length === 0) {
            throw new TokenError('token_missing', 'Missing access token')
          }
          const { user, audience } = await userTokens.verifyUserToken(token)
          return json(200, {
            id: user.id,
            name: user.name ?? null,
            phoneNumber: user.phoneNumber ?? null,
            pictureUrl: user.pictureUrl ?? null,
            actionPackageId: audience[0] ?? null,
          })
        },
      },
    ],
  }
}
