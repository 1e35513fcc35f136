/**
 * The signing-key ring: each published key with its state (retiring, current, next), the
 * rotation schedule and the published JWKS.
 *
 * @module
 */
import type { SigningKeys } from '@countersign/tokens'
import type { ConsoleRoute, RouteContext } from './context.ts'
import { ConsoleError, json } from './http.ts'

function signingKeys(ctx: RouteContext): SigningKeys {
  const keys = ctx.parts.signingKeys
  if (keys === undefined) {
    throw new ConsoleError(404, 'signing_keys_unavailable', 'this console has no signing keys')
  }
  return keys
}

/** The signing-key routes. */
export const signingRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: 'signing-keys',
    async handle(ctx) {
      const keys = signingKeys(ctx)
      const current = (await keys.current()).keyId
      const jwks = await keys.jwks()
      const at = jwks.keys.findIndex((jwk) => jwk.kid === current)
      return json(200, {
        algorithm: keys.algorithm,
        rotateEveryMs: keys.rotateEveryMs,
        overlapMs: keys.overlapMs,
        nextRotationAt: (await keys.nextRotationAt()).toISOString(),
        keys: jwks.keys.map((jwk, index) => ({
          kid: jwk.kid,
          state: index === at ? 'current' : index < at ? 'retiring' : 'next',
        })),
        jwks,
      })
    },
  },
  {
    method: 'POST',
    path: 'signing-keys/rotate',
    async handle(ctx) {
      const key = await signingKeys(ctx).rotate()
      await ctx.record({
        type: 'admin',
        action: 'signing_key.rotate',
        target: key.keyId,
        status: 200,
      })
      return json(200, { current: key.keyId })
    },
  },
]
