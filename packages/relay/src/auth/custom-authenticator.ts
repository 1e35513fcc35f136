/**
 * The relay authenticator for `auth.type: 'custom'`: your own hook, its answer checked.
 *
 * @internal
 * @module
 */
import { isCountersignError } from '@countersign/core'
import type { CustomAuth, RelayUser } from '../types.ts'
import { notLoggedIn } from './auth-failure.ts'
import type { Authenticator } from './create-authenticator.ts'
import { userFromClaims } from './user-from-claims.ts'

export function customAuthenticator(auth: CustomAuth): Authenticator {
  return async (request) => {
    let user: RelayUser | null | undefined
    try {
      user = await auth.authenticate(request)
    } catch (error) {
      if (isCountersignError(error)) {
        throw error
      }
      throw notLoggedIn('the request is not authenticated')
    }
    if (user === null || user === undefined) {
      throw notLoggedIn('the request is not authenticated')
    }
    if (typeof user !== 'object') {
      throw notLoggedIn('the request is not authenticated')
    }
    const { user_id: id, ...rest } = user
    return userFromClaims(id, rest)
  }
}
