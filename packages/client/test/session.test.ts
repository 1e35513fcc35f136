import { isCountersignError } from '@countersign/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../src/index.ts'
import { loginProvider, type Stack, startStack } from './helpers/stack.ts'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
}, 30_000)

afterAll(async () => {
  await stack?.close()
})

const echo = () => `${stack.api.url}/api/echo`

/** A fetch that counts what it sends. */
function countingFetch() {
  const sent: string[] = []
  const fetchFn = (request: Request) => {
    sent.push(`${request.method} ${new URL(request.url).pathname}`)
    return fetch(request)
  }
  return { sent, fetchFn }
}

describe('sessions', () => {
  it('100 concurrent calls share exactly one refresh (single-flight)', async () => {
    const client = createClient({ relayUrl: stack.relay.url, session: loginProvider(stack) })
    const before = stack.web.logins
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => client.secureRequest({ url: echo(), data: { i } })),
    )
    expect(stack.web.logins - before).toBe(1)
    expect(results.map((r) => (r.data as { data: { i: number } }).data.i)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    )
    // Cached afterwards: more calls, no more logins.
    await client.secureRequest({ url: echo(), data: null })
    expect(stack.web.logins - before).toBe(1)
  }, 60_000)

  it('refreshes before expiry, again with one refresh for many waiting calls', async () => {
    // The provider claims 1.5 s lifetimes; refresh 1 s before: due after 0.5 s.
    const client = createClient({
      relayUrl: stack.relay.url,
      session: loginProvider(stack, 1500),
      refreshBeforeMs: 1000,
    })
    const before = stack.web.logins
    const first = await client.getSessionToken()
    expect(await client.getSessionToken()).toBe(first)
    expect(stack.web.logins - before).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 700))
    const tokens = await Promise.all(Array.from({ length: 50 }, () => client.getSessionToken()))
    expect(stack.web.logins - before).toBe(2)
    expect(new Set(tokens).size).toBe(1)
    const { status } = await client.secureRequest({ url: echo(), data: 1 })
    expect(status).toBe(200)
  })

  it('has no session: not_logged_in before any network call', async () => {
    const { sent, fetchFn } = countingFetch()
    const client = createClient({ relayUrl: stack.relay.url, fetch: fetchFn })
    expect(client.hasSession).toBe(false)
    const error = await client.secureRequest({ url: echo(), data: {} }).catch((e: unknown) => e)
    expect(isCountersignError(error, 'not_logged_in')).toBe(true)
    expect((error as Error).name).toBe('AuthError')
    await expect(client.getSessionToken()).rejects.toMatchObject({ code: 'not_logged_in' })
    expect(sent).toEqual([])
  })

  it('a fixed session past its expiresAt is not used', async () => {
    const { sent, fetchFn } = countingFetch()
    const client = createClient({
      relayUrl: stack.relay.url,
      fetch: fetchFn,
      session: { token: 'anything', expiresAt: new Date(Date.now() - 1000) },
    })
    await expect(client.secureRequest({ url: echo() })).rejects.toMatchObject({
      code: 'not_logged_in',
    })
    expect(sent).toEqual([])
  })

  it('setSession and clearSession switch users; clearing fails waiting calls', async () => {
    const client = createClient({ relayUrl: stack.relay.url })
    const login = loginProvider(stack)
    const { token } = await login()
    client.setSession(token)
    expect(client.hasSession).toBe(true)
    expect((await client.secureRequest({ url: echo(), data: 1 })).status).toBe(200)
    client.clearSession()
    expect(client.hasSession).toBe(false)
    await expect(client.secureRequest({ url: echo() })).rejects.toMatchObject({
      code: 'not_logged_in',
    })

    // A provider still working when the session is cleared: its token is never used.
    let release: (value: { token: string }) => void = () => undefined
    client.setSession(() => new Promise((resolve) => (release = resolve)))
    const waiting = client.getSessionToken()
    client.clearSession()
    release({ token })
    await expect(waiting).rejects.toMatchObject({ code: 'not_logged_in' })
  })

  it('a provider failure is not_logged_in; a failed early refresh keeps a valid token', async () => {
    let calls = 0
    const client = createClient({
      relayUrl: stack.relay.url,
      refreshBeforeMs: 60_000,
      session: async () => {
        calls++
        if (calls === 1) {
          return { token: 'first-token', expiresAt: Date.now() + 30_000 }
        }
        throw new Error('identity provider down')
      },
    })
    // Due for refresh at once (30 s left, refresh 60 s before): the refresh fails, the
    // still-valid token is used.
    expect(await client.getSessionToken()).toBe('first-token')
    expect(await client.getSessionToken()).toBe('first-token')
    expect(calls).toBe(2)

    const failing = createClient({
      session: () => Promise.reject(new Error('identity provider down')),
    })
    const error = await failing.getSessionToken().catch((e: unknown) => e)
    expect(isCountersignError(error, 'not_logged_in')).toBe(true)
    expect((error as Error).cause).toBeInstanceOf(Error)
  })

  it('a token the relay refuses is refreshed once through the provider', async () => {
    const login = loginProvider(stack)
    let calls = 0
    const client = createClient({
      relayUrl: stack.relay.url,
      session: async () => {
        calls++
        return calls === 1 ? { token: 'revoked-or-garbage-token' } : login()
      },
    })
    const { status, data } = await client.secureRequest({ url: echo(), data: 'x' })
    expect(status).toBe(200)
    expect((data as { user: { user_id: string } }).user.user_id).toBe('u_ada')
    expect(calls).toBe(2)

    // A fixed token the relay refuses is not retried: the relay's error comes back.
    const fixed = createClient({ relayUrl: stack.relay.url, session: 'garbage-token' })
    const error = await fixed.secureRequest({ url: echo() }).catch((e: unknown) => e)
    expect(isCountersignError(error, 'not_logged_in')).toBe(true)
    expect((error as Error).name).toBe('RelayError')
    expect(String((error as Error).message)).not.toContain('garbage-token')
  })

  it('refuses malformed sessions with a TypeError that does not echo the token', () => {
    const client = createClient()
    expect(() => client.setSession('bad token\nwith newline')).toThrow(TypeError)
    try {
      client.setSession({ token: 'secret value', expiresAt: Date.now() })
    } catch (error) {
      expect(String(error)).not.toContain('secret value')
    }
    expect(() => client.setSession({ token: 'ok', expiresAt: 'tomorrow' as never })).toThrow(
      TypeError,
    )
    expect(() => client.setSession(undefined as never)).toThrow(TypeError)
  })
})
