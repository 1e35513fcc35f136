import { createHmac } from 'node:crypto'
import {
  type ConsumeOnceStore,
  createMemoryStore,
  generateSecret,
  hashSecret,
} from '@countersign/core'
import { signApiKey, signIcypeas } from '@countersign/signer'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { verifyApiKey, verifyApiKeyRequest, verifyIcypeas } from './index.ts'

const secrets = (apiKey: string) => (apiKey === 'test-key' ? 'test-secret' : undefined)
const URL_ = 'https://app.icypeas.com/api/a/actions/subscription-information'

/** A request signed exactly as the Icypeas documentation's Node example does. */
function seedSigned(
  url = URL_,
  method = 'POST',
  timestamp = new Date().toISOString(),
  secret = 'test-secret',
  extra: Record<string, string> = {},
): Request {
  const endpoint = new URL(url).pathname
  const payload = `${method}${endpoint}${timestamp}`.toLowerCase()
  const sign = createHmac('sha1', secret).update(payload).digest('hex')
  return new Request(url, {
    method,
    headers: {
      'Content-Type': 'application/json',
      Authorization: `test-key:${sign}`,
      'X-ROCK-TIMESTAMP': timestamp,
      ...extra,
    },
    ...(method === 'GET' ? {} : { body: JSON.stringify({ email: 'test@icypeas.com' }) }),
  })
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (
      (error as { code?: string }).code ??
      (error instanceof TypeError ? 'TypeError' : String(error))
    )
  }
  return 'verified'
}

afterEach(() => {
  vi.useRealTimers()
})

describe('verifyIcypeas', () => {
  it('accepts the documented scheme (seed example code) and the Countersign preset', async () => {
    const verified = await verifyIcypeas(seedSigned(), { secrets })
    expect(verified.apiKey).toBe('test-key')
    const signed = await signIcypeas(new Request(URL_, { method: 'POST' }), {
      apiKey: 'test-key',
      secret: 'test-secret',
    })
    expect((await verifyIcypeas(signed, { secrets: async (k) => secrets(k) })).apiKey).toBe(
      'test-key',
    )
  })

  it('accepts a timestamp without milliseconds, as in the seed’s doc comment', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2023-03-01T04:40:30Z'))
    const verified = await verifyIcypeas(seedSigned(URL_, 'GET', '2023-03-01T04:40:20Z'), {
      secrets,
    })
    expect(verified.timestamp.toISOString()).toBe('2023-03-01T04:40:20.000Z')
  })

  it('refuses a wrong secret, a changed method or path, an unknown key', async () => {
    expect(
      await codeOf(verifyIcypeas(seedSigned(URL_, 'POST', undefined, 'wrong'), { secrets })),
    ).toBe('signature_invalid')
    const stamp = new Date().toISOString()
    const good = seedSigned(URL_, 'POST', stamp)
    const moved = new Request(`${URL_}-other`, { method: 'POST', headers: good.headers })
    expect(await codeOf(verifyIcypeas(moved, { secrets }))).toBe('signature_invalid')
    const put = new Request(URL_, { method: 'PUT', headers: good.headers })
    expect(await codeOf(verifyIcypeas(put, { secrets }))).toBe('signature_invalid')
    expect(await codeOf(verifyIcypeas(seedSigned(), { secrets: () => undefined }))).toBe(
      'key_unknown',
    )
  })

  it('refuses a path that is not lowercase, though the MAC matches (lowercasing collides)', async () => {
    const upper = seedSigned('https://app.icypeas.com/V1/ORDERS')
    expect(await codeOf(verifyIcypeas(upper, { secrets }))).toBe('signature_invalid')
    expect(
      await codeOf(verifyIcypeas(seedSigned('https://app.icypeas.com/v1/orders'), { secrets })),
    ).toBe('verified')
    const lowerMethod = seedSigned(URL_, 'patch')
    expect(await codeOf(verifyIcypeas(lowerMethod, { secrets }))).toBe('signature_invalid')
  })

  it.each([
    ['an offset', '2023-03-12T12:01:02+00:00'],
    ['lowercase t and z', '2023-03-12t12:01:02.000z'],
    ['four fraction digits', '2023-03-12T12:01:02.0000Z'],
    ['no seconds', '2023-03-12T12:01Z'],
    ['a date only', '2023-03-12'],
    ['epoch seconds', '1678622462'],
    ['February 30th', '2023-02-30T12:01:02.000Z'],
    ['hour 24', '2023-03-12T24:00:00Z'],
    ['second 60', '2023-03-12T12:01:60Z'],
    ['month 13', '2023-13-12T12:01:02Z'],
  ])('refuses a timestamp with %s as malformed', async (_name, stamp) => {
    expect(await codeOf(verifyIcypeas(seedSigned(URL_, 'POST', stamp), { secrets }))).toBe(
      'malformed',
    )
  })

  it('enforces the two-sided window', async () => {
    const at = (ms: number) => new Date(Date.now() + ms).toISOString()
    expect(await codeOf(verifyIcypeas(seedSigned(URL_, 'POST', at(-301_000)), { secrets }))).toBe(
      'signature_expired',
    )
    expect(await codeOf(verifyIcypeas(seedSigned(URL_, 'POST', at(-290_000)), { secrets }))).toBe(
      'verified',
    )
    expect(await codeOf(verifyIcypeas(seedSigned(URL_, 'POST', at(61_000)), { secrets }))).toBe(
      'signature_expired',
    )
    expect(await codeOf(verifyIcypeas(seedSigned(URL_, 'POST', at(30_000)), { secrets }))).toBe(
      'verified',
    )
    expect(
      await codeOf(
        verifyIcypeas(seedSigned(URL_, 'POST', at(-100_000)), { secrets, maxAgeSeconds: 60 }),
      ),
    ).toBe('signature_expired')
  })

  it('refuses missing, malformed and duplicate headers', async () => {
    const good = seedSigned()
    const without = (name: string) => {
      const headers = new Headers(good.headers)
      headers.delete(name)
      return new Request(URL_, { method: 'POST', headers })
    }
    expect(await codeOf(verifyIcypeas(without('authorization'), { secrets }))).toBe(
      'signature_missing',
    )
    expect(await codeOf(verifyIcypeas(without('x-rock-timestamp'), { secrets }))).toBe(
      'signature_missing',
    )
    const withAuth = (value: string) =>
      new Request(URL_, {
        method: 'POST',
        headers: { authorization: value, 'x-rock-timestamp': new Date().toISOString() },
      })
    expect(await codeOf(verifyIcypeas(withAuth('test-key'), { secrets }))).toBe('malformed')
    expect(await codeOf(verifyIcypeas(withAuth(`test-key:${'z'.repeat(40)}`), { secrets }))).toBe(
      'malformed',
    )
    expect(await codeOf(verifyIcypeas(withAuth(`:${'a'.repeat(40)}`), { secrets }))).toBe(
      'malformed',
    )
    const doubled = new Headers(good.headers)
    doubled.append('authorization', good.headers.get('authorization')!)
    expect(
      await codeOf(
        verifyIcypeas(new Request(URL_, { method: 'POST', headers: doubled }), { secrets }),
      ),
    ).toBe('duplicate_header')
    const lines: [string, string][] = [
      ...good.headers,
      ['X-Rock-Timestamp', good.headers.get('x-rock-timestamp')!],
    ]
    expect(await codeOf(verifyIcypeas(seedSigned(), { secrets, fieldLines: lines }))).toBe(
      'duplicate_header',
    )
  })

  it('with a store, accepts each signature once; a failing store fails closed', async () => {
    const nonceStore = createMemoryStore()
    const request = seedSigned()
    const copy = request.clone()
    expect(await codeOf(verifyIcypeas(request, { secrets, nonceStore }))).toBe('verified')
    expect(await codeOf(verifyIcypeas(copy, { secrets, nonceStore }))).toBe('replayed')
    const broken: ConsumeOnceStore = {
      consumeOnce: () => Promise.reject(new Error('down')),
    }
    expect(await codeOf(verifyIcypeas(seedSigned(), { secrets, nonceStore: broken }))).toBe(
      'store_unavailable',
    )
    expect(
      await codeOf(
        verifyIcypeas(seedSigned(), {
          secrets: () => {
            throw new Error('db')
          },
        }),
      ),
    ).toBe('store_unavailable')
  })

  it('checks its options', async () => {
    await expect(verifyIcypeas(seedSigned(), {} as never)).rejects.toThrow(TypeError)
    await expect(verifyIcypeas({} as never, { secrets })).rejects.toThrow(TypeError)
  })
})

describe('verifyApiKey', () => {
  const apiKey = generateSecret('cs_test')
  const records = new Map<string, { hash: string; owner: string }>()
  const lookup = (hash: string) => records.get(hash)

  it('is the deprecated alias of verifyApiKeyRequest', () => {
    expect(verifyApiKey).toBe(verifyApiKeyRequest)
  })

  it('accepts a known key (bare or Bearer), looked up by hash', async () => {
    const hash = await hashSecret(apiKey)
    records.set(hash, { hash, owner: 'acme' })
    const bare = await signApiKey(new Request('https://api.example.com/x'), { apiKey })
    expect((await verifyApiKey(bare, { lookup })).record.owner).toBe('acme')
    const bearer = new Request('https://api.example.com/x', {
      headers: { authorization: `Bearer ${apiKey}` },
    })
    expect((await verifyApiKey(bearer, { lookup })).hash).toBe(hash)
    const custom = await signApiKey(new Request('https://api.example.com/x'), {
      apiKey,
      header: 'x-api-key',
    })
    expect((await verifyApiKey(custom, { lookup, header: 'X-API-Key' })).record.owner).toBe('acme')
  })

  it('refuses missing, unknown, malformed and duplicate keys', async () => {
    const withAuth = (value?: string) =>
      new Request(
        'https://api.example.com/x',
        value === undefined ? {} : { headers: { authorization: value } },
      )
    expect(await codeOf(verifyApiKey(withAuth(), { lookup }))).toBe('api_key_invalid')
    expect(await codeOf(verifyApiKey(withAuth('cs_test_unknown'), { lookup }))).toBe(
      'api_key_invalid',
    )
    expect(await codeOf(verifyApiKey(withAuth('x'.repeat(600)), { lookup }))).toBe(
      'api_key_invalid',
    )
    expect(await codeOf(verifyApiKey(withAuth(`${apiKey}, ${apiKey}`), { lookup }))).toBe(
      'duplicate_header',
    )
    // A lookup that returns a record for the wrong hash (a prefix match in a database) is refused.
    expect(
      await codeOf(verifyApiKey(withAuth(apiKey), { lookup: () => ({ hash: 'something-else' }) })),
    ).toBe('api_key_invalid')
    expect(
      await codeOf(
        verifyApiKey(withAuth(apiKey), {
          lookup: () => {
            throw new Error('db down')
          },
        }),
      ),
    ).toBe('store_unavailable')
  })
})
