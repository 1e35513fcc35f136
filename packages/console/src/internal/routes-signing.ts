/**
 * The signing-key ring: each published key with its state (retiring, current, next), the
 * rotation schedule and the published JWKS.
 *
 * @module
 */
import type { ConsoleRoute } from './context.ts'
import { ConsoleError, json } from './http.ts'

/** The signing-key routes. */
export const signingRoutes: ConsoleRoute[] = [
  {
    method: 'GET',
    path: 'signing-keys',
    async handle(ctx) {
      const keys = ctx.parts.signingKeys
      if (keys === undefined) {
        throw new ConsoleError(404, 'signing_keys_unavailable', 'this console has no signing keys')
      }
      const current = (await keys.current()).keyId
      const jwks = await keys.jwks()
      const at = jwks.keys.findIndex((jwk) => jwk.kid === current)
      const now = ctx.parts.now()
      const slotEnd = (Math.floor(now / keys.rotateEveryMs) + 1) * keys.rotateEveryMs
      return json(200, {
        algorithm: keys.algorithm,
        rotateEveryMs: keys.rotateEveryMs,
        overlapMs: keys.overlapMs,
        nextRotationAt: new Date(slotEnd).toISOString(),
        keys: jwks.keys.map((jwk, index) => ({
          kid: jwk.kid,
          state: index === at ? 'current' : index < at ? 'retiring' : 'next',
        })),
        jwks,
      })
    },
  },
]
