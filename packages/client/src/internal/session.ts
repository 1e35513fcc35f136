/**
 * The session store: a fixed token or a provider's cached token, refreshed before expiry with
 * one refresh in flight at a time.
 *
 * @internal
 * @module
 */
import { AuthError, isCountersignError } from '@countersign/core'
import type { Session, SessionInput, SessionProvider } from '../types.ts'

/** Visible ASCII: a token goes into an `Authorization` header. */
const TOKEN = /^[\x21-\x7e]{1,8192}$/

interface Cached {
  token: string
  /** Epoch ms, or `Infinity` when the session does not say. */
  expiresAt: number
}

type State =
  | { kind: 'none' }
  | { kind: 'fixed'; session: Cached }
  | {
      kind: 'provider'
      provider: SessionProvider
      cached: Cached | undefined
      pending: Promise<Cached> | undefined
    }

/** The client's session. */
export interface SessionStore {
  set(input: SessionInput): void
  clear(): void
  readonly active: boolean
  /** The token to send now. Throws `not_logged_in` when there is none. */
  token(): Promise<string>
  /**
   * The server refused `token`: forget it when it is the cached one of a provider, and say
   * whether a retry can get a different one.
   */
  reject(token: string): boolean
}

function notLoggedIn(message: string, cause?: unknown): AuthError {
  return new AuthError('not_logged_in', message, cause === undefined ? {} : { cause })
}

function checkSession(value: unknown, what: string): Cached {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${what} must be a token string or { token, expiresAt }`)
  }
  const { token, expiresAt } = value as Session
  if (typeof token !== 'string' || !TOKEN.test(token)) {
    throw new TypeError(`${what}.token must be 1 to 8192 visible ASCII characters`)
  }
  let at = Number.POSITIVE_INFINITY
  if (expiresAt instanceof Date) {
    at = expiresAt.getTime()
  } else if (typeof expiresAt === 'number') {
    at = expiresAt
  } else if (expiresAt !== undefined) {
    throw new TypeError(`${what}.expiresAt must be a Date or milliseconds since the epoch`)
  }
  if (Number.isNaN(at)) {
    throw new TypeError(`${what}.expiresAt must be a valid time`)
  }
  return { token, expiresAt: at }
}

/** Creates the session store. */
export function createSessionStore(refreshBeforeMs: number): SessionStore {
  let state: State = { kind: 'none' }

  const refresh = (current: State & { kind: 'provider' }): Promise<Cached> => {
    if (current.pending === undefined) {
      const pending = (async () => {
        let session: Session
        try {
          session = await current.provider()
        } catch (error) {
          throw isCountersignError(error)
            ? error
            : notLoggedIn('the session provider failed', error)
        }
        const cached = checkSession(session, 'the session provider result')
        if (state === current) {
          current.cached = cached
        }
        return cached
      })()
      current.pending = pending
      const settle = () => {
        if (current.pending === pending) {
          current.pending = undefined
        }
      }
      pending.then(settle, settle)
    }
    return current.pending
  }

  const token = async (): Promise<string> => {
    const current = state
    if (current.kind === 'none') {
      throw notLoggedIn('no session: log in first')
    }
    if (current.kind === 'fixed') {
      if (Date.now() >= current.session.expiresAt) {
        throw notLoggedIn('the session has expired')
      }
      return current.session.token
    }
    const cached = current.cached
    if (cached !== undefined && Date.now() < cached.expiresAt - refreshBeforeMs) {
      return cached.token
    }
    let fresh: Cached
    try {
      fresh = await refresh(current)
    } catch (error) {
      if (state !== current) {
        return token()
      }
      // A failed early refresh keeps a token that is still valid.
      if (cached !== undefined && Date.now() < cached.expiresAt) {
        return cached.token
      }
      throw error
    }
    if (state !== current) {
      // Cleared or replaced while refreshing: never hand out the old session's token.
      return token()
    }
    if (Date.now() >= fresh.expiresAt) {
      throw notLoggedIn('the session provider returned an expired session')
    }
    return fresh.token
  }

  return {
    token,
    set(input) {
      if (typeof input === 'function') {
        state = { kind: 'provider', provider: input, cached: undefined, pending: undefined }
      } else if (typeof input === 'string') {
        state = { kind: 'fixed', session: checkSession({ token: input }, 'session') }
      } else {
        state = { kind: 'fixed', session: checkSession(input, 'session') }
      }
    },
    clear() {
      state = { kind: 'none' }
    },
    get active() {
      return state.kind !== 'none'
    },
    reject(token) {
      const current = state
      if (current.kind !== 'provider') {
        return false
      }
      if (current.cached?.token === token) {
        current.cached = undefined
      }
      return true
    },
  }
}
