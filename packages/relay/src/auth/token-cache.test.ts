/**
 * The verified-token cache of `auth: countersign`: a hit skips the signature check but never
 * outlives the token's `exp` or `maxAgeMs`, the denylist is checked on every hit, a key that
 * leaves the key ring ends the entry, and the map stays bounded.
 */
import {
  AuthError,
  createKeyRing,
  createMemoryStore,
  importKey,
  type Key,
  type KeyValueStore,
  toBase64Url,
  utf8,
} from '@countersign/core'
import { createSigningKeys, createUserTokens, type UserTokens } from '@countersign/tokens'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRelay } from '../create-relay.ts'
import { json, relayRequest } from '../test-kit.ts'
import type { CountersignAuth, RelayUser } from '../types.ts'
import { createRelayAuthenticator } from './create-authenticator.ts'
import { createTokenCache, MAX_CACHED_TOKEN_LENGTH } from './token-cache.ts'

const ISSUER = 'https://tokens.test'
const AUDIENCE = 'relay-cache-test'

let store: ReturnType<typeof createMemoryStore>
let userTokens: UserTokens
let publicKeys: Key[]

beforeAll(async () => {
  store = createMemoryStore()
  const signingKeys = createSigningKeys()
  userTokens = createUserTokens({ issuer: ISSUER, keys: signingKeys, store })
  publicKeys = await Promise.all((await signingKeys.jwks()).keys.map((jwk) => importKey(jwk)))
})

afterEach(() => {
  vi.useRealTimers()
})

/** The issuer's public key, wrapped to count signature checks (the same object every time). */
function countingKey(): { key: Key; checks: () => number } {
  const [inner] = publicKeys as [Key]
  let checks = 0
  const key: Key = {
    ...inner,
    verify: (data, signature) => {
      checks++
      return inner.verify(data, signature)
    },
    ...(inner.verifySync === undefined
      ? {}
      : {
          verifySync: (data: Uint8Array, signature: Uint8Array) => {
            checks++
            return (inner.verifySync as NonNullable<Key['verifySync']>)(data, signature)
          },
        }),
  }
  return { key, checks: () => checks }
}

function authenticator(
  extra: Partial<CountersignAuth> & Pick<CountersignAuth, 'keys'>,
): (token: string) => Promise<RelayUser> {
  const { fromHeader } = createRelayAuthenticator({
    type: 'countersign',
    issuer: ISSUER,
    audience: AUDIENCE,
    ...extra,
  })
  return (token) => (fromHeader as NonNullable<typeof fromHeader>)(`Bearer ${token}`)
}

/** A target on port 9, which refuses: 502 means the user was accepted and the request forwarded. */
const PORT_9_TARGET = {
  id: 'api',
  baseUrl: 'http://127.0.0.1:9/api',
  allowPrivateNetwork: true,
  allowHttp: true,
  signing: { algorithm: 'hmac-sha256' as const, secret: new Uint8Array(32).fill(1) },
}

async function issue(id = 'u-1', ttl: `${number}m` = '10m'): Promise<string> {
  return (await userTokens.issueUserToken({ user: { id, name: 'Ada' }, audience: AUDIENCE, ttl }))
    .token
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AuthError)
  expect((error as AuthError).code).toBe('not_logged_in')
  return error as AuthError
}

describe('verified-token cache', () => {
  it('checks the signature once per token while cached, and every time with cache: false', async () => {
    const token = await issue()
    const cached = countingKey()
    const auth = authenticator({ keys: [cached.key] })
    for (let i = 0; i < 3; i++) {
      expect(await auth(token)).toEqual({ user_id: 'u-1', name: 'Ada' })
    }
    expect(cached.checks()).toBe(1)

    const uncached = countingKey()
    const every = authenticator({ keys: [uncached.key], cache: false })
    for (let i = 0; i < 3; i++) {
      expect(await every(token)).toEqual({ user_id: 'u-1', name: 'Ada' })
    }
    expect(uncached.checks()).toBe(3)
  })

  it('refuses an expired token after a cache hit, and re-verifies after maxAgeMs', async () => {
    // The issuer keeps the real clock: the fake one starts from it.
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(start)
    const token = await issue('u-exp', '2m')
    const counted = countingKey()
    const auth = authenticator({ keys: [counted.key], cache: { maxAgeMs: 60_000 } })
    await auth(token)
    vi.setSystemTime(start + 30_000)
    await auth(token)
    expect(counted.checks()).toBe(1)
    // Past maxAgeMs: verified again (and still valid).
    vi.setSystemTime(start + 61_000)
    await auth(token)
    expect(counted.checks()).toBe(2)
    vi.setSystemTime(start + 111_000)
    await auth(token)
    expect(counted.checks()).toBe(2)
    // Past exp (within the verifier's 30 s leeway): verified again, not served from the cache.
    vi.setSystemTime(start + 125_000)
    await auth(token)
    expect(counted.checks()).toBe(3)
    // Past the leeway too: refused.
    vi.setSystemTime(start + 151_000)
    const error = await refusal(auth(token))
    expect(error.message).toMatch(/expired/)
    // The clock going back before the verification time is a miss too.
    vi.setSystemTime(start + 100_000)
    await auth(token)
    vi.setSystemTime(start + 90_000)
    const before = counted.checks()
    await auth(token)
    expect(counted.checks()).toBe(before + 1)
  })

  it('never serves a cached entry past exp, even within maxAgeMs', async () => {
    // The issuer keeps the real clock: the fake one starts from it.
    const start = Date.now()
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(start)
    const token = await issue('u-exp2', '1m')
    const counted = countingKey()
    const auth = authenticator({ keys: [counted.key], cache: { maxAgeMs: 3_600_000 } })
    await auth(token)
    vi.setSystemTime(start + 50_000)
    await auth(token)
    expect(counted.checks()).toBe(1)
    vi.setSystemTime(start + 60_000 + 31_000)
    await refusal(auth(token))
  })

  it('refuses a revoked jti on a cache hit (the denylist is checked every time)', async () => {
    const token = await issue('u-revoked')
    const counted = countingKey()
    const auth = authenticator({ keys: [counted.key], denylist: store })
    await auth(token)
    await auth(token)
    expect(counted.checks()).toBe(1)
    expect(await userTokens.revoke(token)).toBe(true)
    await refusal(auth(token))
    await refusal(auth(token))
  })

  it('fails closed when the denylist store fails on a hit', async () => {
    const token = await issue('u-store')
    let broken = false
    const flaky: KeyValueStore = {
      get: async (key) => {
        if (broken) {
          throw new Error('connection refused')
        }
        return store.get(key)
      },
      set: (key, value, options) => store.set(key, value, options),
      delete: (key) => store.delete(key),
      list: (prefix, options) => store.list(prefix, options),
    }
    const auth = authenticator({ keys: [countingKey().key], denylist: flaky })
    await auth(token)
    broken = true
    await expect(auth(token)).rejects.toMatchObject({ code: 'store_unavailable' })
  })

  it('refuses a token whose key left the key ring, or whose kid now names another key', async () => {
    const token = await issue('u-rotated')
    const [key] = publicKeys as [Key]
    const ring = createKeyRing([key])
    const auth = authenticator({ keys: ring })
    expect((await auth(token)).user_id).toBe('u-rotated')
    ring.remove(key.keyId)
    await refusal(auth(token))

    // Same kid, different key: the cached entry no longer applies, and the signature fails.
    const other = createSigningKeys()
    const [otherJwk] = (await other.jwks()).keys
    const impostor = await importKey({ ...otherJwk, kid: key.keyId } as JsonWebKey)
    const ring2 = createKeyRing([key])
    const auth2 = authenticator({ keys: ring2 })
    await auth2(token)
    ring2.remove(key.keyId)
    ring2.add(impostor)
    await refusal(auth2(token))
  })

  it('stays bounded: the oldest token goes first', async () => {
    const tokens = [await issue('u-a'), await issue('u-b'), await issue('u-c')]
    const counted = countingKey()
    const auth = authenticator({ keys: [counted.key], cache: { maxEntries: 2 } })
    for (const token of tokens) {
      await auth(token)
    }
    expect(counted.checks()).toBe(3)
    // u-b and u-c are cached; u-a was evicted.
    await auth(tokens[2] as string)
    await auth(tokens[1] as string)
    expect(counted.checks()).toBe(3)
    await auth(tokens[0] as string)
    expect(counted.checks()).toBe(4)

    const cache = createTokenCache({ maxEntries: 3, maxAgeMs: 60_000 })
    const now = Date.now()
    for (let i = 0; i < 50; i++) {
      cache.set(`token-${i}`, {
        user: { user_id: `u-${i}` },
        jti: `j-${i}`,
        kid: 'k',
        key: 'k',
        verifiedAt: now,
        expiresAt: now + 120_000,
      })
      expect(cache.size).toBeLessThanOrEqual(3)
    }
    expect(cache.get('token-49', now)?.user.user_id).toBe('u-49')
    expect(cache.get('token-0', now)).toBeUndefined()
    cache.set('x'.repeat(MAX_CACHED_TOKEN_LENGTH + 1), {
      user: { user_id: 'long' },
      jti: 'j',
      kid: 'k',
      key: 'k',
      verifiedAt: now,
      expiresAt: now + 120_000,
    })
    expect(cache.get('x'.repeat(MAX_CACHED_TOKEN_LENGTH + 1), now)).toBeUndefined()
  })

  it('serves an entry only for exactly its token, however much of it another token shares', async () => {
    const token = await issue('u-shared')
    const [h, , s] = token.split('.') as [string, string, string]
    // Another user's claims with the cached token's signature: the same tail, not the same token.
    const forged = `${h}.${toBase64Url(utf8(JSON.stringify({ sub: 'u-evil' })))}.${s}`
    const counted = countingKey()
    const auth = authenticator({ keys: [counted.key] })
    expect((await auth(token)).user_id).toBe('u-shared')
    await refusal(auth(forged))
    await refusal(auth(forged))
    expect(counted.checks()).toBe(3) // every forged try is verified (and fails)
    expect((await auth(token)).user_id).toBe('u-shared') // and the real entry stays
    expect(counted.checks()).toBe(3)

    const cache = createTokenCache({ maxEntries: 10, maxAgeMs: 60_000 })
    const now = Date.now()
    const tail = 'T'.repeat(100)
    const entry = (id: string) => ({
      user: { user_id: id },
      jti: id,
      kid: 'k',
      key: 'k',
      verifiedAt: now,
      expiresAt: now + 120_000,
    })
    cache.set(`a.${tail}`, entry('a'))
    expect(cache.get(`b.${tail}`, now)).toBeUndefined()
    cache.delete(`b.${tail}`) // not a's entry: kept
    expect(cache.get(`a.${tail}`, now)?.user.user_id).toBe('a')
    cache.set(`b.${tail}`, entry('b')) // replaces a (same key), never serves it for b
    expect(cache.get(`a.${tail}`, now)).toBeUndefined()
    expect(cache.get(`b.${tail}`, now)?.user.user_id).toBe('b')
    expect(cache.size).toBe(1)
    for (const short of ['', 'x', 'y'.repeat(64)]) {
      cache.set(short, entry(short))
      expect(cache.get(short, now)?.user.user_id).toBe(short)
    }
  })

  it('does not cache failures', async () => {
    const token = await issue('u-fail')
    const [h, p, s] = token.split('.') as [string, string, string]
    const tampered = `${h}.${p}.${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`
    const counted = countingKey()
    const auth = authenticator({ keys: [counted.key] })
    await refusal(auth(tampered))
    await refusal(auth(tampered))
    expect(counted.checks()).toBe(2)
  })

  it('through the relay: a revoked token gets 401 not_logged_in after a cached 200', async () => {
    const token = await issue('u-relay')
    const relay = createRelay({
      auth: {
        type: 'countersign',
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: [countingKey().key],
        denylist: store,
      },
      targets: [PORT_9_TARGET],
    })
    try {
      // Port 9 refuses: 502 means the user was accepted and the request forwarded.
      const first = await relay(
        relayRequest({ url: 'http://127.0.0.1:9/api/x', data: {} }, { token }),
      )
      expect(first.status).toBe(502)
      await userTokens.revoke(token)
      const second = await relay(
        relayRequest({ url: 'http://127.0.0.1:9/api/x', data: {} }, { token }),
      )
      expect(second.status).toBe(401)
      expect((await json(second)).code).toBe('not_logged_in')
    } finally {
      await relay.close()
    }
  })

  it('through the relay: onTokenCache hears a miss, then a hit, and a throwing hook fails nothing', async () => {
    const token = await issue('u-hook')
    const heard: boolean[] = []
    const relay = createRelay({
      auth: { type: 'countersign', issuer: ISSUER, audience: AUDIENCE, keys: [countingKey().key] },
      targets: [PORT_9_TARGET],
      onTokenCache: (hit) => {
        heard.push(hit)
        throw new Error('metrics are down')
      },
    })
    try {
      for (let i = 0; i < 2; i++) {
        const response = await relay(
          relayRequest({ url: 'http://127.0.0.1:9/api/x', data: {} }, { token }),
        )
        // Port 9 refuses: 502 means the user was accepted and the request forwarded.
        expect(response.status).toBe(502)
      }
      expect(heard).toEqual([false, true])
    } finally {
      await relay.close()
    }
  })
})
