/**
 * Tokens in memory on this runtime: a user token issued and verified against the issuer's JWKS
 * (an expired and a wrong-audience one refused), and a single-use parameter token.
 */
import { createMemoryStore } from '@countersign/core'
import {
  createParameterTokens,
  createSigningKeys,
  createUserTokens,
  verifyUserToken,
} from '@countersign/tokens'
import { codeOf, equal } from './check.js'

/** Registers the in-memory token tests with `test(name, packages, fn)`. */
export function tokenCases(test) {
  test(
    'user token: issued, verified against the JWKS, expired and wrong audience refused',
    ['tokens'],
    async () => {
      const keys = createSigningKeys()
      const issuer = 'https://tokens.example'
      const tokens = createUserTokens({ issuer, keys, store: createMemoryStore() })
      const { token } = await tokens.issueUserToken({
        user: { id: 'u_1' },
        audience: 'app',
        ttl: '5m',
      })
      const jwks = await keys.jwks()
      const verified = await verifyUserToken(token, { issuer, audience: 'app', jwks })
      equal(verified.user.id, 'u_1', 'user')
      equal(
        await codeOf(verifyUserToken(token, { issuer, audience: 'other', jwks })),
        'token_invalid',
        'audience',
      )
      const later = () => Date.now() + 3_600_000
      equal(
        await codeOf(verifyUserToken(token, { issuer, audience: 'app', jwks, now: later })),
        'token_expired',
        'expired',
      )
    },
  )
  test('parameter token: verifies once, then is refused', ['tokens'], async () => {
    const tokens = createParameterTokens({ store: createMemoryStore(), defaultTtl: '15m' })
    const { token } = await tokens.issue({ file: 'plan.dwg' }, { singleUse: true })
    equal(await tokens.verify(token), { file: 'plan.dwg' }, 'params')
    equal(await codeOf(tokens.verify(token)), 'token_revoked', 'second use')
  })
}
