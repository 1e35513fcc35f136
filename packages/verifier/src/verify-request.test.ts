import {
  ALGORITHMS,
  type ConsumeOnceStore,
  createKeyRing,
  createMemoryStore,
  generateKeyPair,
  importKey,
  type Key,
  StoreError,
  utf8,
} from '@countersign/core'
import { signRequest } from '@countersign/signer'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { acceptSignatureHeader, createVerifier, verifyRequest } from './index.ts'
import type { VerifyRequestOptions } from './types.ts'

const hmac = await importKey(utf8('a shared secret of at least 32 bytes!!'), {
  algorithm: 'hmac-sha256',
  keyId: 'k1',
})
const other = await importKey(utf8('another shared secret, 32 bytes long!'), {
  algorithm: 'hmac-sha256',
  keyId: 'k2',
})
const URL_ = 'https://api.example.com/v1/orders?x=1'

function post(
  body = '{"id":1}',
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Request {
  return new Request(URL_, { method: 'POST', headers, body })
}

function options(extra: Partial<VerifyRequestOptions> = {}): VerifyRequestOptions {
  return {
    keys: (id) => (id === 'k1' ? hmac : undefined),
    nonceStore: createMemoryStore(),
    ...extra,
  }
}

/** A copy of `request` with header changes (and optionally another body / method / URL). */
async function alter(
  request: Request,
  change: {
    set?: Record<string, string>
    append?: [string, string][]
    remove?: string[]
    body?: string
    method?: string
    url?: string
  },
): Promise<Request> {
  const headers = new Headers(request.headers)
  for (const [k, v] of Object.entries(change.set ?? {})) {
    headers.set(k, v)
  }
  for (const [k, v] of change.append ?? []) {
    headers.append(k, v)
  }
  for (const k of change.remove ?? []) {
    headers.delete(k)
  }
  const body = change.body ?? (request.body === null ? undefined : await request.clone().text())
  return new Request(change.url ?? request.url, {
    method: change.method ?? request.method,
    headers,
    body,
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

describe('verifyRequest: round trips with the signer', () => {
  it.each(ALGORITHMS.filter((a) => a !== 'hmac-sha1'))('%s', async (algorithm) => {
    const { privateKey, publicKey } = await generateKeyPair(algorithm)
    const signed = await signRequest(post(), { key: privateKey })
    const verified = await verifyRequest(signed, {
      keys: () => publicKey,
      nonceStore: createMemoryStore(),
    })
    expect(verified).toMatchObject({
      keyId: privateKey.keyId,
      algorithm,
      label: 'sig1',
      components: ['"@method"', '"@target-uri"', '"content-digest"', '"content-type"'],
      key: publicKey,
    })
    expect(new TextDecoder().decode(verified.body)).toBe('{"id":1}')
    expect(signed.bodyUsed).toBe(true)
  })

  it('verifies a request without a body, with an empty body', async () => {
    const get = await signRequest(new Request(URL_), { key: hmac })
    expect((await verifyRequest(get, options())).body).toEqual(new Uint8Array(0))
    const empty = await signRequest(post(''), { key: hmac })
    expect((await verifyRequest(empty, options())).body.length).toBe(0)
  })

  it('accepts a key ring', async () => {
    const signed = await signRequest(post(), { key: hmac })
    expect(
      (
        await verifyRequest(signed, {
          keys: createKeyRing([other, hmac]),
          nonceStore: createMemoryStore(),
        })
      ).keyId,
    ).toBe('k1')
  })

  it('verifies the signature it can during a rotation (unknown key skipped)', async () => {
    const signed = await signRequest(post(), { signatures: [{ key: other }, { key: hmac }] })
    expect((await verifyRequest(signed, options())).label).toBe('sig2')
    await expect(
      verifyRequest(await signRequest(post(), { key: other }), options()),
    ).rejects.toMatchObject({
      code: 'key_unknown',
      status: 401,
    })
  })

  it('selects by label and by tag', async () => {
    const signed = await signRequest(post(), {
      signatures: [
        { key: hmac, tag: 'client' },
        { key: hmac, tag: 'relay', label: 'relay' },
      ],
    })
    expect((await verifyRequest(await alter(signed, {}), options({ tag: 'relay' }))).label).toBe(
      'relay',
    )
    expect(
      (await verifyRequest(await alter(signed, {}), options({ label: 'sig1' }))).params.tag,
    ).toBe('client')
    expect(await codeOf(verifyRequest(await alter(signed, {}), options({ label: 'nope' })))).toBe(
      'signature_missing',
    )
    expect(await codeOf(verifyRequest(await alter(signed, {}), options({ tag: 'other' })))).toBe(
      'signature_missing',
    )
  })

  it('reads components from raw field lines when an adapter passes them', async () => {
    const signed = await signRequest(
      post('{}', { 'x-multi': 'a, b', 'content-type': 'application/json' }),
      {
        key: hmac,
        components: ['@method', '@target-uri', 'content-digest', 'content-type', '"x-multi";bs'],
      },
    )
    // Headers joined two lines into one; the raw lines show them apart, so ;bs differs.
    const lines: [string, string][] = [...signed.headers].map(([k, v]) => [k, v])
    expect(
      (await verifyRequest(await alter(signed, {}), options({ fieldLines: lines }))).label,
    ).toBe('sig1')
    const split = lines
      .filter(([k]) => k !== 'x-multi')
      .concat([
        ['X-Multi', 'a'],
        ['X-Multi', 'b'],
      ])
    expect(
      await codeOf(
        createVerifier(options()).verifyRequest(await alter(signed, {}), { fieldLines: split }),
      ),
    ).toBe('signature_invalid')
  })
})

describe('verifyRequest: what it refuses', () => {
  it('unsigned, half-signed and malformed signature fields', async () => {
    const signed = await signRequest(post(), { key: hmac })
    expect(await codeOf(verifyRequest(post(), options()))).toBe('signature_missing')
    expect(
      await codeOf(verifyRequest(await alter(signed, { remove: ['signature'] }), options())),
    ).toBe('signature_missing')
    expect(
      await codeOf(
        verifyRequest(await alter(signed, { set: { 'signature-input': 'sig1=(' } }), options()),
      ),
    ).toBe('malformed')
    expect(
      await codeOf(
        verifyRequest(await alter(signed, { set: { signature: 'sig1="x"' } }), options()),
      ),
    ).toBe('malformed')
    expect(
      await codeOf(
        verifyRequest(await alter(signed, { set: { signature: 'sig2=:AAAA:' } }), options()),
      ),
    ).toBe('signature_missing')
    const long = `sig1=("@method");created=1;keyid="${'k'.repeat(8200)}"`
    const error = await verifyRequest(
      await alter(signed, { set: { 'signature-input': long } }),
      options(),
    ).catch((e) => e)
    expect(error).toMatchObject({ code: 'malformed', status: 400 })
  })

  it('tampering with method, target, body or a covered field', async () => {
    const signed = await signRequest(post(), { key: hmac })
    expect(await codeOf(verifyRequest(await alter(signed, { method: 'PUT' }), options()))).toBe(
      'signature_invalid',
    )
    expect(
      await codeOf(verifyRequest(await alter(signed, { url: `${URL_}&admin=1` }), options())),
    ).toBe('signature_invalid')
    expect(await codeOf(verifyRequest(await alter(signed, { body: '{"id":2}' }), options()))).toBe(
      'digest_mismatch',
    )
    expect(
      await codeOf(
        verifyRequest(await alter(signed, { set: { 'content-type': 'text/plain' } }), options()),
      ),
    ).toBe('signature_invalid')
    expect(
      await codeOf(verifyRequest(await alter(signed, { remove: ['content-digest'] }), options())),
    ).toBe('digest_missing')
  })

  it('signatures that do not cover what the policy requires', async () => {
    const noType = await signRequest(post(), {
      key: hmac,
      components: ['@method', '@target-uri', 'content-digest'],
    })
    expect(await codeOf(verifyRequest(noType, options()))).toBe('component_missing')
    const noDigest = await signRequest(post(), {
      key: hmac,
      components: ['@method', '@target-uri', 'content-type'],
    })
    expect(await codeOf(verifyRequest(noDigest, options()))).toBe('component_missing')
    const noTarget = await signRequest(post(), {
      key: hmac,
      components: ['@method', 'content-digest', 'content-type'],
    })
    expect(await codeOf(verifyRequest(noTarget, options()))).toBe('component_missing')
    // A body added to a signed GET is caught even though the GET covered no digest.
    const get = await signRequest(new Request(URL_), { key: hmac })
    expect(
      await codeOf(verifyRequest(await alter(get, { method: 'POST', body: 'x' }), options())),
    ).toBe('digest_missing')
    expect(
      await codeOf(
        verifyRequest(
          await alter(get, { body: 'x', method: 'PUT' }),
          options({ requiredComponents: ['content-digest'] }),
        ),
      ),
    ).toBe('digest_missing')
    const custom = await signRequest(post(), { key: hmac, components: ['@path'] })
    expect(await codeOf(verifyRequest(custom, options({ requiredComponents: ['@path'] })))).toBe(
      'verified',
    )
  })

  it('unsupported components and parameters', async () => {
    const signed = await signRequest(post(), { key: hmac })
    const input = signed.headers
      .get('signature-input')!
      .replace('"content-type"', '"content-type";tr')
    expect(
      await codeOf(
        verifyRequest(await alter(signed, { set: { 'signature-input': input } }), options()),
      ),
    ).toBe('component_unsupported')
  })

  it('refuses keys of algorithms outside RFC 9421 (hmac-sha1)', async () => {
    const sha1 = await importKey(utf8('legacy secret'), { algorithm: 'hmac-sha1', keyId: 'k1' })
    expect(
      await codeOf(verifyRequest(await signRequest(post(), { key: hmac }), { keys: () => sha1 })),
    ).toBe('algorithm_mismatch')
  })

  it('unknown keys and algorithm mismatches', async () => {
    const { privateKey } = await generateKeyPair('ed25519')
    const wrongAlg = await signRequest(post(), { key: privateKey, keyid: 'k1', alg: true })
    expect(await codeOf(verifyRequest(wrongAlg, options()))).toBe('algorithm_mismatch')
    const noKeyId = await signRequest(post(), { key: hmac, keyid: false })
    expect(await codeOf(verifyRequest(noKeyId, options()))).toBe('key_unknown')
    // An ed25519 signature presented under an HMAC key id fails as a bad signature, never as a
    // different algorithm: the algorithm comes from the key.
    expect(
      await codeOf(
        verifyRequest(await signRequest(post(), { key: privateKey, keyid: 'k1' }), options()),
      ),
    ).toBe('signature_invalid')
  })

  it('the time window: max age, clock skew, expires, missing created', async () => {
    const now = Math.floor(Date.now() / 1000)
    const at = async (created: number | false, extra = {}) =>
      signRequest(post(), { key: hmac, created, ...extra })
    expect(await codeOf(verifyRequest(await at(now - 301), options()))).toBe('signature_expired')
    expect(await codeOf(verifyRequest(await at(now - 290), options()))).toBe('verified')
    expect(await codeOf(verifyRequest(await at(now + 120), options()))).toBe('signature_expired')
    expect(await codeOf(verifyRequest(await at(now + 30), options()))).toBe('verified')
    expect(await codeOf(verifyRequest(await at(now - 10, { expires: now - 1 }), options()))).toBe(
      'signature_expired',
    )
    expect(await codeOf(verifyRequest(await at(now - 10, { expires: now - 20 }), options()))).toBe(
      'signature_invalid',
    )
    expect(await codeOf(verifyRequest(await at(false), options()))).toBe('signature_invalid')
    expect(
      await codeOf(verifyRequest(await at(now - 1000), options({ maxAgeSeconds: 3600 }))),
    ).toBe('verified')
  })

  it('nonces: required, single use, consumed only after the signature verifies', async () => {
    expect(
      await codeOf(
        verifyRequest(await signRequest(post(), { key: hmac, nonce: false }), options()),
      ),
    ).toBe('signature_invalid')
    expect(
      await codeOf(
        verifyRequest(
          await signRequest(post(), { key: hmac, nonce: false }),
          options({ requireNonce: false }),
        ),
      ),
    ).toBe('verified')
    const verifier = createVerifier(options())
    const signed = await signRequest(post(), { key: hmac })
    const copy = await alter(signed, {})
    const tampered = await alter(signed, { body: '{"id":9}' })
    expect(await codeOf(verifier.verifyRequest(tampered))).toBe('digest_mismatch')
    expect(await codeOf(verifier.verifyRequest(signed))).toBe('verified')
    expect(await codeOf(verifier.verifyRequest(copy))).toBe('replayed')
  })

  it('fails closed when the nonce store or key resolver fails', async () => {
    const broken: ConsumeOnceStore = {
      consumeOnce: async () => {
        throw new Error('connection refused')
      },
    }
    const error = await verifyRequest(
      await signRequest(post(), { key: hmac }),
      options({ nonceStore: broken }),
    ).catch((e) => e)
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ code: 'store_unavailable', status: 503 })
    const full: ConsumeOnceStore = {
      consumeOnce: async () => {
        throw new StoreError('store_full')
      },
    }
    expect(
      await codeOf(
        verifyRequest(await signRequest(post(), { key: hmac }), options({ nonceStore: full })),
      ),
    ).toBe('store_full')
    const resolverDown = options({
      keys: async () => {
        throw new Error('db down')
      },
    })
    expect(
      await codeOf(verifyRequest(await signRequest(post(), { key: hmac }), resolverDown)),
    ).toBe('store_unavailable')
  })

  it('consumes the one nonce of a request with one store call, and fails closed on a sync throw', async () => {
    const calls: [string, number][] = []
    const seen = new Set<string>()
    const recording: ConsumeOnceStore = {
      consumeOnce: async (key, ttlMs) => {
        calls.push([key, ttlMs])
        const fresh = !seen.has(key)
        seen.add(key)
        return fresh
      },
    }
    // The clock stands still on a whole second, so the TTL is exact: created + maxAge - now,
    // plus a second.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(1_800_000_000_000)
    const verifier = createVerifier(options({ nonceStore: recording, maxAgeSeconds: 300 }))
    const signed = await signRequest(post(), { key: hmac, nonce: 'n-1' })
    const copy = await alter(signed, {})
    expect(await codeOf(verifier.verifyRequest(signed))).toBe('verified')
    expect(calls).toHaveLength(1)
    const [key, ttlMs] = calls[0] as [string, number]
    expect(key).toBe('sig-nonce:n-1')
    expect(ttlMs).toBe(301_000)
    expect(await codeOf(verifier.verifyRequest(copy))).toBe('replayed')
    expect(calls).toHaveLength(2)
    const throwsNow: ConsumeOnceStore = {
      consumeOnce: () => {
        throw new Error('not connected')
      },
    }
    const error = await verifyRequest(
      await signRequest(post(), { key: hmac }),
      options({ nonceStore: throwsNow }),
    ).catch((e) => e)
    expect(error).toMatchObject({ code: 'store_unavailable', status: 503 })
  })

  it('duplicate fields, from raw field lines and from Headers', async () => {
    const signed = await signRequest(post(), { key: hmac })
    const lines: [string, string][] = [...signed.headers]
    for (const name of [
      'Host',
      'Content-Type',
      'Content-Digest',
      'Signature',
      'Signature-Input',
      'Authorization',
    ]) {
      const value = signed.headers.get(name) ?? 'x'
      const doubled: [string, string][] = [...lines, [name, value], [name, value]]
      expect(
        await codeOf(verifyRequest(await alter(signed, {}), options({ fieldLines: doubled }))),
        name,
      ).toBe('duplicate_header')
    }
    const joined = async (name: string, value: string) =>
      codeOf(verifyRequest(await alter(signed, { append: [[name, value]] }), options()))
    expect(await joined('content-type', 'text/plain')).toBe('duplicate_header')
    expect(await joined('signature-input', signed.headers.get('signature-input')!)).toBe(
      'duplicate_header',
    )
    expect(await joined('signature', signed.headers.get('signature')!)).toBe('duplicate_header')
    expect(await joined('content-digest', signed.headers.get('content-digest')!)).toBe(
      'duplicate_header',
    )
    expect(
      await codeOf(
        verifyRequest(await alter(signed, { set: { host: 'a.example, b.example' } }), options()),
      ),
    ).toBe('duplicate_header')
    expect(await joined('authorization', 'Bearer abc')).toBe('verified')
    const twice = await alter(signed, {
      set: { authorization: 'Bearer abc' },
      append: [['authorization', 'Bearer def']],
    })
    expect(await codeOf(verifyRequest(twice, options()))).toBe('duplicate_header')
    const digestAuth = 'Digest username="a, b", realm="x", nonce="n"'
    expect(
      await codeOf(
        verifyRequest(await alter(signed, { set: { authorization: digestAuth } }), options()),
      ),
    ).toBe('verified')
    // A quoted comma in a media type parameter is not a second value.
    const quoted = await signRequest(
      post('x', { 'content-type': 'multipart/form-data; boundary="a,b"' }),
      { key: hmac },
    )
    expect(await codeOf(verifyRequest(quoted, options()))).toBe('verified')
  })

  it('bodies over maxBodyBytes, declared or streamed', async () => {
    const signed = await signRequest(post('x'.repeat(2048)), { key: hmac })
    const error = await verifyRequest(
      await alter(signed, {}),
      options({ maxBodyBytes: 1024 }),
    ).catch((e) => e)
    expect(error).toMatchObject({ code: 'body_too_large', status: 413 })
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(700))
        controller.enqueue(new Uint8Array(700))
        controller.close()
      },
    })
    const streamed = new Request(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(await codeOf(verifyRequest(streamed, options({ maxBodyBytes: 1024 })))).toBe(
      'body_too_large',
    )
    expect(await codeOf(verifyRequest(await alter(signed, {}), options()))).toBe('verified')
  })

  it.each(['abc', '-1', '8, 8', '1e3', ''])(
    'an invalid or repeated Content-Length %j is malformed',
    async (value) => {
      const signed = await signRequest(post(), { key: hmac })
      const bad = await alter(signed, { set: { 'content-length': value } })
      expect(await codeOf(verifyRequest(bad, options()))).toBe('malformed')
    },
  )

  it('a body the application already read', async () => {
    const signed = await signRequest(post(), { key: hmac })
    await signed.text()
    await expect(verifyRequest(signed, options())).rejects.toThrow(TypeError)
  })
})

describe('options and helpers', () => {
  it.each<[string, Record<string, unknown>]>([
    ['no keys', {}],
    ['an unknown option', { keys: () => undefined, maxAge: 5 }],
    ['a bad required component', { keys: () => undefined, requiredComponents: ['"x";tr'] }],
    ['a zero maxAgeSeconds', { keys: () => undefined, maxAgeSeconds: 0 }],
    ['a bad store', { keys: () => undefined, nonceStore: {} }],
    ['a bad label', { keys: () => undefined, label: 'A' }],
    ['a negative maxBodyBytes', { keys: () => undefined, maxBodyBytes: -1 }],
  ])('createVerifier refuses %s', (_name, opts) => {
    expect(() => createVerifier(opts as never)).toThrow(TypeError)
  })

  it('verifyRequest rejects (never throws synchronously) on bad options', async () => {
    await expect(verifyRequest(post(), {} as never)).rejects.toThrow(TypeError)
  })

  it('one-shot calls share one nonce store; each verifier has its own', async () => {
    const signed = await signRequest(post(), { key: hmac })
    const shared = { keys: () => hmac }
    expect(await codeOf(verifyRequest(await alter(signed, {}), shared))).toBe('verified')
    expect(await codeOf(verifyRequest(await alter(signed, {}), { keys: () => hmac }))).toBe(
      'replayed',
    )
    expect(
      await codeOf(createVerifier({ keys: () => hmac }).verifyRequest(await alter(signed, {}))),
    ).toBe('verified')
  })

  it('acceptSignatureHeader describes what to sign', () => {
    expect(acceptSignatureHeader()).toBe(
      'sig1=("@method" "@target-uri" "content-digest" "content-type");created;nonce',
    )
    expect(
      acceptSignatureHeader({
        request: new Request(URL_),
        tag: 'orders',
        keyid: 'k1',
        alg: 'ed25519',
      }),
    ).toBe('sig1=("@method" "@target-uri");created;nonce;keyid="k1";alg="ed25519";tag="orders"')
    expect(() => acceptSignatureHeader({ components: ['"x";tr'] })).toThrow(TypeError)
    expect(() => acceptSignatureHeader({ label: 'Bad' })).toThrow(TypeError)
    const verifier = createVerifier({ keys: () => undefined, tag: 'relay', label: 'r' })
    expect(verifier.acceptSignature(post())).toBe(
      'r=("@method" "@target-uri" "content-digest" "content-type");created;nonce;tag="relay"',
    )
  })

  it('an Accept-Signature answer signs into a request the verifier accepts', async () => {
    const verifier = createVerifier(options({ tag: 'app' }))
    const request = post()
    const signed = await signRequest(request, {
      key: hmac,
      acceptSignature: verifier.acceptSignature(request),
    })
    expect((await verifier.verifyRequest(signed)).params.tag).toBe('app')
  })

  it('returns keys untouched and never leaks a secret in error messages', async () => {
    const key: Key = hmac
    const signed = await signRequest(post(), { key })
    const error = (await verifyRequest(await alter(signed, { method: 'PUT' }), options()).catch(
      (e: unknown) => e,
    )) as Error
    expect(error.message).not.toMatch(/secret/)
    expect(JSON.stringify(error)).not.toContain(signed.headers.get('signature')!.slice(6, 30))
  })
})
