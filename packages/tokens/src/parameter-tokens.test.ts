import { createDecipheriv, createHash } from 'node:crypto'
import {
  createMemoryStore,
  fromBase64Url,
  type Store,
  StoreError,
  TokenError,
} from '@countersign/core'
import { describe, expect, it, vi } from 'vitest'
import { createParameterTokens } from './parameter-tokens.ts'

const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> => {
  try {
    await promise
    return undefined
  } catch (error) {
    return (error as { code?: string }).code
  }
}

function setup(start = 1_700_000_000_000) {
  let now = start
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
  const store = createMemoryStore({ now: clock.now })
  const tokens = createParameterTokens({ store, defaultTtl: '10m', now: clock.now })
  return { clock, store, tokens }
}

/** Where format v2 keeps a token's record, computed independently of the code under test. */
function v2Place(token: string): { key: string; recordKey: Buffer } {
  const h = createHash('sha512').update(`countersign parameter token v2\u0000${token}`).digest()
  return { key: `cs:pt2:${h.subarray(0, 32).toString('base64url')}`, recordKey: h.subarray(32) }
}

describe('createParameterTokens', () => {
  it('issues a cs_pt token and verifies it back to the parameters', async () => {
    const { tokens } = setup()
    const params = {
      auth: 'apiKey',
      file: 'filePath',
      userId: 'userId',
      server: 'serverId',
      nested: { a: [1, 2] },
    }
    const { token, expiresAt } = await tokens.issue(params)
    expect(token).toMatch(/^cs_pt_[0-9A-Za-z]{49}$/)
    expect(expiresAt.getTime()).toBe(1_700_000_000_000 + 600_000)
    expect(await tokens.verify(token)).toEqual(params)
    expect(await tokens.verify(token)).toEqual(params) // multi-use by default
  })

  it('stores only the hash of the token, and the parameters sealed', async () => {
    const { store, tokens } = setup()
    const { token } = await tokens.issue({ secretParam: 'very-secret-value-123' })
    const entries = await store.list('')
    const dump = JSON.stringify(entries)
    expect(dump).not.toContain(token)
    expect(dump).not.toContain(token.slice(6, 40))
    expect(dump).not.toContain('very-secret-value-123')
    expect(entries.map((e) => e.key)).toContain(v2Place(token).key)
  })

  it('writes format v2: one SHA-512 of the token gives the store id and the record key', async () => {
    const { store, tokens } = setup()
    const params = { auth: 'apiKey', note: 'é✓' }
    const { token } = await tokens.issue(params, { singleUse: true, clientId: 'ak_1' })
    const { key, recordKey } = v2Place(token)
    const raw = await store.get(key)
    const record = JSON.parse(raw as string)
    expect(record).toMatchObject({ v: 2, s: 'a', su: 1, c: 'ak_1' })
    // Opened by hand as docs/spec/tokens.md describes it: AES-256-GCM, the store key as AAD.
    const [tag, iv, sealed] = (record.d as string).split('.')
    expect(tag).toBe('v2')
    const bytes = fromBase64Url(sealed as string)
    const decipher = createDecipheriv('aes-256-gcm', recordKey, fromBase64Url(iv as string))
    decipher.setAAD(Buffer.from(key))
    decipher.setAuthTag(bytes.subarray(bytes.length - 16))
    const plain = Buffer.concat([
      decipher.update(bytes.subarray(0, bytes.length - 16)),
      decipher.final(),
    ])
    expect(JSON.parse(plain.toString('utf8'))).toEqual(params)
    await tokens.verify(token)
    expect(JSON.parse((await store.get(key)) as string)).toEqual({
      v: 2,
      s: 'u',
      exp: record.exp,
      iat: record.iat,
      c: 'ak_1',
    })
  })

  it('refuses a v2 record that claims another format or carries a v1 seal', async () => {
    const { store, tokens } = setup()
    const { token } = await tokens.issue({ a: 1 })
    const { key } = v2Place(token)
    const record = JSON.parse((await store.get(key)) as string)
    for (const forged of [
      { ...record, v: 1 },
      { ...record, d: (record.d as string).replace(/^v2\./, 'v1.') },
      { ...record, v: 3 },
    ]) {
      await store.set(key, JSON.stringify(forged))
      expect(await codeOf(tokens.verify(token))).toBe('token_invalid')
    }
  })

  it('rejects checksum-invalid tokens without a store lookup', async () => {
    const { store, tokens } = setup()
    const { token } = await tokens.issue({ a: 1 })
    const get = vi.spyOn(store, 'get')
    const flipped = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11)
    for (const bad of [
      flipped,
      '',
      'garbage',
      `${token}x`,
      token.replace('cs_pt', 'cs_ak'),
      'x'.repeat(10_000),
    ]) {
      expect(await codeOf(tokens.verify(bad))).toBe('token_invalid')
    }
    expect(await codeOf(tokens.verify(null as unknown as string))).toBe('token_invalid')
    expect(get).not.toHaveBeenCalled()
  })

  it('answers token_invalid for a well-formed unknown token', async () => {
    const { tokens: a } = setup()
    const { tokens: b } = setup()
    const { token } = await a.issue({ a: 1 })
    expect(await codeOf(b.verify(token))).toBe('token_invalid')
  })

  it('expires tokens: token_expired within the retention, then token_invalid', async () => {
    const { clock, tokens } = setup()
    const { token } = await tokens.issue({ a: 1 }, { ttl: '1m' })
    clock.advance(59_999)
    expect(await tokens.verify(token)).toEqual({ a: 1 })
    clock.advance(1)
    expect(await codeOf(tokens.verify(token))).toBe('token_expired')
    clock.advance(3_600_000)
    expect(await codeOf(tokens.verify(token))).toBe('token_invalid')
  })

  it('revokes: token_revoked (not token_invalid) until expiry', async () => {
    const { clock, tokens } = setup()
    const { token } = await tokens.issue({ a: 1 }, { ttl: 60_000 })
    expect(await tokens.revoke(token)).toBe(true)
    expect(await codeOf(tokens.verify(token))).toBe('token_revoked')
    expect(await codeOf(tokens.redeem(token))).toBe('token_revoked')
    expect(await tokens.revoke(token)).toBe(true)
    clock.advance(30_000)
    expect(await codeOf(tokens.verify(token))).toBe('token_revoked')
    expect(await tokens.revoke('cs_pt_garbage')).toBe(false)
    const { tokens: other } = setup()
    const { token: unknown } = await other.issue({})
    expect(await tokens.revoke(unknown)).toBe(false)
  })

  it('revokes only a token of the given client when clientId is passed', async () => {
    const { tokens } = setup()
    const { token } = await tokens.issue({ a: 1 }, { clientId: 'ak_one' })
    expect(await tokens.revoke(token, { clientId: 'ak_two' })).toBe(false)
    expect(await tokens.verify(token)).toEqual({ a: 1 })
    expect(await tokens.revoke(token, { clientId: 'ak_one' })).toBe(true)
  })

  it('single-use tokens verify exactly once', async () => {
    const { tokens } = setup()
    const { token } = await tokens.issue({ a: 1 }, { singleUse: true })
    expect((await tokens.inspect(token)).singleUse).toBe(true)
    expect(await tokens.verify(token)).toEqual({ a: 1 })
    expect(await codeOf(tokens.verify(token))).toBe('token_revoked')
    expect(await codeOf(tokens.redeem(token))).toBe('token_revoked')
  })

  it('redeem consumes any token', async () => {
    const { tokens } = setup()
    const { token } = await tokens.issue({ a: 1 })
    expect(await tokens.redeem(token)).toEqual({ a: 1 })
    expect(await codeOf(tokens.verify(token))).toBe('token_revoked')
  })

  it('1,000 parallel redemptions of a single-use token: exactly one succeeds', async () => {
    const { tokens } = setup()
    const { token } = await tokens.issue({ a: 1 }, { singleUse: true })
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, () => tokens.redeem(token)),
    )
    const ok = results.filter((r) => r.status === 'fulfilled')
    expect(ok).toHaveLength(1)
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(TokenError)
        expect((r.reason as TokenError).code).toBe('token_revoked')
      }
    }
  })

  it('1,000 single-use tokens redeemed in parallel, each by 3 callers: one success each', async () => {
    const { tokens } = setup()
    const issued = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => tokens.issue({ i }, { singleUse: true })),
    )
    const attempts = issued.flatMap(({ token }) => [
      tokens.redeem(token),
      tokens.verify(token),
      tokens.redeem(token),
    ])
    const results = await Promise.allSettled(attempts)
    for (let i = 0; i < issued.length; i++) {
      const mine = results.slice(i * 3, i * 3 + 3)
      expect(mine.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    }
  })

  it('validates issue input', async () => {
    const { tokens } = setup()
    await expect(tokens.issue([] as unknown as Record<string, unknown>)).rejects.toThrow(TypeError)
    await expect(tokens.issue(JSON.parse('{"__proto__":{"polluted":true}}'))).rejects.toThrow(
      TypeError,
    )
    await expect(tokens.issue({ big: 'x'.repeat(20_000) })).rejects.toThrow(RangeError)
    await expect(tokens.issue({}, { ttl: '31d' })).rejects.toThrow(RangeError)
    await expect(tokens.issue({}, { ttl: -1 })).rejects.toThrow(TypeError)
    await expect(tokens.issue({}, { ttl: 'soon' as '1m' })).rejects.toThrow(TypeError)
    expect(() =>
      createParameterTokens({ store: createMemoryStore(), defaultTtl: '2d', maxTtl: '1d' }),
    ).toThrow(RangeError)
    expect(() => createParameterTokens({} as { store: Store })).toThrow(TypeError)
  })

  it('fails closed with store_unavailable when the store throws', async () => {
    const { store, tokens } = setup()
    const { token } = await tokens.issue({ a: 1 })
    vi.spyOn(store, 'get').mockRejectedValue(new Error('ECONNREFUSED'))
    const error = await tokens.verify(token).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreError)
    expect((error as StoreError).code).toBe('store_unavailable')
    expect(String((error as Error).message)).not.toContain(token)
    vi.spyOn(store, 'set').mockImplementation(() => {
      throw new Error('sync failure')
    })
    expect(await codeOf(tokens.issue({ a: 1 }))).toBe('store_unavailable')
  })

  it('inspect returns metadata without consuming', async () => {
    const { tokens } = setup()
    const { token } = await tokens.issue({ a: 1 }, { singleUse: true, clientId: 'ak_x' })
    const info = await tokens.inspect(token)
    expect(info.clientId).toBe('ak_x')
    expect(info.issuedAt.getTime()).toBe(1_700_000_000_000)
    expect(await tokens.verify(token)).toEqual({ a: 1 })
    expect(tokens.isParameterToken(token)).toBe(true)
    expect(tokens.isParameterToken('cs_pt_x')).toBe(false)
  })
})
