import { createHash, createHmac } from 'node:crypto'
import {
  ALGORITHMS,
  createKeyRing,
  createSignatureBase,
  generateKeyPair,
  importKey,
  type Key,
  parseSignature,
  parseSignatureInput,
  toBase64,
  utf8,
} from '@countersign/core'
import { describe, expect, it } from 'vitest'
import {
  createSigner,
  signApiKey,
  signIcypeas,
  signMessage,
  signRequest,
  signResponse,
} from './index.ts'

const secret = utf8('a shared secret of at least 32 bytes!!')
const hmac = await importKey(secret, { algorithm: 'hmac-sha256', keyId: 'client-1' })

function post(
  body = '{"id":1}',
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Request {
  return new Request('https://api.example.com/v1/orders?x=1', { method: 'POST', headers, body })
}

/** Rebuilds the base from the signed message and checks the signature with `key`. */
async function verifies(
  message: Request | Response,
  key: Key,
  label = 'sig1',
  request?: Request,
): Promise<boolean> {
  const member = parseSignatureInput(message.headers.get('signature-input')!).get(label)!
  const signature = parseSignature(message.headers.get('signature')!).get(label)!
  const view =
    message instanceof Request
      ? { method: message.method, url: message.url, headers: message.headers }
      : {
          status: message.status,
          headers: message.headers,
          ...(request === undefined
            ? {}
            : { request: { method: request.method, url: request.url, headers: request.headers } }),
        }
  const base = createSignatureBase(view, member.components, member.innerList[1])
  return key.verify(base.bytes, signature)
}

describe('signRequest', () => {
  it('returns a new signed Request and leaves the caller’s request unread', async () => {
    const original = post()
    const signed = await signRequest(original, { key: hmac })
    expect(signed).not.toBe(original)
    expect(original.bodyUsed).toBe(false)
    expect(await original.text()).toBe('{"id":1}')
    expect(await signed.clone().text()).toBe('{"id":1}')
    expect(signed.method).toBe('POST')
    expect(signed.url).toBe(original.url)
    expect(await verifies(signed, hmac)).toBe(true)
  })

  it('covers @method, @target-uri, content-digest and content-type by default, with created, keyid and nonce', async () => {
    const before = Math.floor(Date.now() / 1000)
    const signed = await signRequest(post(), { key: hmac })
    const member = parseSignatureInput(signed.headers.get('signature-input')!).get('sig1')!
    expect(member.components.map((c) => c.id)).toEqual([
      '"@method"',
      '"@target-uri"',
      '"content-digest"',
      '"content-type"',
    ])
    expect(Object.keys(member.params)).toEqual(['created', 'keyid', 'nonce'])
    expect(member.params.keyid).toBe('client-1')
    expect(member.params.created).toBeGreaterThanOrEqual(before)
    expect(member.params.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(signed.headers.get('content-digest')).toBe(
      `sha-256=:${createHash('sha256').update('{"id":1}').digest('base64')}:`,
    )
  })

  it('adds no Content-Digest without a body, and no content-type when absent', async () => {
    const signed = await signRequest(new Request('https://api.example.com/v1/orders'), {
      key: hmac,
    })
    expect(signed.headers.has('content-digest')).toBe(false)
    const member = parseSignatureInput(signed.headers.get('signature-input')!).get('sig1')!
    expect(member.components.map((c) => c.id)).toEqual(['"@method"', '"@target-uri"'])
    expect(await verifies(signed, hmac)).toBe(true)
  })

  it('supports sha-512 digests, or none', async () => {
    const s512 = await signRequest(post(), { key: hmac, digest: 'sha-512' })
    expect(s512.headers.get('content-digest')).toMatch(/^sha-512=:[A-Za-z0-9+/]{86}==:$/)
    const none = await signRequest(post(), { key: hmac, digest: false })
    expect(none.headers.has('content-digest')).toBe(false)
    expect(
      parseSignatureInput(none.headers.get('signature-input')!).get('sig1')!.components,
    ).toHaveLength(3)
  })

  it('keeps a matching Content-Digest and refuses one that does not match the body', async () => {
    const digest = `sha-512=:${createHash('sha512').update('{"id":1}').digest('base64')}:`
    const kept = await signRequest(post('{"id":1}', { 'content-digest': digest }), { key: hmac })
    expect(kept.headers.get('content-digest')).toBe(digest)
    await expect(
      signRequest(post('{"id":2}', { 'content-digest': digest }), { key: hmac }),
    ).rejects.toThrow(TypeError)
  })

  it('checks a Content-Digest already on the message whatever digest and components say', async () => {
    // Issue #14: with digest: false and default components a wrong digest used to be signed.
    const wrong = `sha-256=:${createHash('sha256').update('{"id":1}').digest('base64')}:`
    const options = [
      { key: hmac, digest: false as const },
      { key: hmac },
      { key: hmac, digest: 'sha-512' as const },
      { key: hmac, digest: false as const, components: ['@method', 'content-digest'] },
      { key: hmac, digest: false as const, components: ['@method'] },
      { key: hmac, digest: false as const, signatures: [{}, { label: 'two' }] },
    ]
    for (const o of options) {
      await expect(
        signRequest(post('{"id":2}', { 'content-digest': wrong }), o),
        JSON.stringify(o),
      ).rejects.toThrow(/does not match its body/)
      const kept = await signRequest(post('{"id":1}', { 'content-digest': wrong }), o)
      expect(kept.headers.get('content-digest')).toBe(wrong)
    }
    await expect(
      signResponse(new Response('{"id":2}', { headers: { 'content-digest': wrong } }), {
        key: hmac,
        digest: false,
      }),
    ).rejects.toThrow(/does not match its body/)
    await expect(
      signMessage(
        {
          method: 'POST',
          url: 'https://api.example.com/v1/orders',
          headers: [['content-digest', wrong]],
          body: utf8('{"id":2}'),
        },
        { key: hmac, digest: false },
      ),
    ).rejects.toThrow(/does not match its body/)
  })

  it('gives every signature of one message one nonce (rotation)', async () => {
    const next = await importKey(utf8('the next shared secret, 32+ bytes long'), {
      algorithm: 'hmac-sha256',
      keyId: 'client-2',
    })
    const nonces = (r: Request) =>
      [...parseSignatureInput(r.headers.get('signature-input')!).values()].map(
        (m) => m.params.nonce,
      )
    const both = await signRequest(post(), { signatures: [{ key: hmac }, { key: next }] })
    const [a, b] = nonces(both)
    expect(typeof a).toBe('string')
    expect(b).toBe(a)
    const given = await signRequest(post(), {
      signatures: [{ key: hmac }, { key: next, nonce: 'chosen' }],
    })
    expect(nonces(given)).toEqual(['chosen', 'chosen'])
    const added = await signRequest(both, { key: next, label: 'later' })
    expect(nonces(added)).toEqual([a, a, a])
    await expect(
      signRequest(post(), {
        signatures: [
          { key: hmac, nonce: 'x' },
          { key: next, nonce: 'y' },
        ],
      }),
    ).rejects.toThrow(/share one nonce/)
    const fresh = await signRequest(post(), { signatures: [{ key: hmac }, { key: next }] })
    expect(nonces(fresh)[0]).not.toBe(a)
  })

  it('honours explicit parameters and components', async () => {
    const signed = await signRequest(post(), {
      key: hmac,
      label: 'mine',
      components: ['@method', '@authority', '@path', '"@query-param";name="x"', 'content-digest'],
      created: new Date('2026-01-01T00:00:00Z'),
      expiresIn: 60,
      nonce: 'n-1',
      keyid: 'alias',
      alg: true,
      tag: 'orders',
    })
    expect(signed.headers.get('signature-input')).toBe(
      'mine=("@method" "@authority" "@path" "@query-param";name="x" "content-digest");created=1767225600;keyid="alias";alg="hmac-sha256";expires=1767225660;nonce="n-1";tag="orders"',
    )
    expect(await verifies(signed, hmac, 'mine')).toBe(true)
    const bare = await signRequest(post(), {
      key: hmac,
      created: false,
      nonce: false,
      keyid: false,
      components: [],
    })
    expect(bare.headers.get('signature-input')).toBe('sig1=()')
  })

  it('makes several signatures in one call (rotation), each verifying with its own key', async () => {
    const next = await importKey(utf8('the next shared secret, 32+ bytes long'), {
      algorithm: 'hmac-sha256',
      keyId: 'client-2',
    })
    const { privateKey: ed, publicKey: edPublic } = await generateKeyPair('ed25519')
    const signed = await signRequest(post(), {
      signatures: [{ key: hmac }, { key: next }, { key: ed, label: 'edge' }],
    })
    expect([...parseSignatureInput(signed.headers.get('signature-input')!).keys()]).toEqual([
      'sig1',
      'sig2',
      'edge',
    ])
    expect(await verifies(signed, hmac, 'sig1')).toBe(true)
    expect(await verifies(signed, next, 'sig2')).toBe(true)
    expect(await verifies(signed, edPublic, 'edge')).toBe(true)
  })

  it('adds to signatures already on the request under the next free label', async () => {
    const first = await signRequest(post(), { key: hmac, tag: 'client' })
    const second = await signRequest(first, { key: hmac, tag: 'relay' })
    expect([...parseSignatureInput(second.headers.get('signature-input')!).keys()]).toEqual([
      'sig1',
      'sig2',
    ])
    expect(await verifies(second, hmac, 'sig1')).toBe(true)
    expect(await verifies(second, hmac, 'sig2')).toBe(true)
    await expect(signRequest(first, { key: hmac, label: 'sig1' })).rejects.toThrow(
      /already carries/,
    )
  })

  it('uses signSync when the key has it', async () => {
    const fake: Key = {
      ...hmac,
      sign: async () => {
        throw new Error('async path used')
      },
      signSync: (data: Uint8Array) => hmac.signSync!(data),
    }
    const signed = await signRequest(post(), { key: fake })
    expect(await verifies(signed, hmac)).toBe(true)
  })

  it('signs with every RFC 9421 algorithm, and refuses hmac-sha1', async () => {
    const sha1 = await generateKeyPair('hmac-sha1')
    await expect(signRequest(post(), { key: sha1.privateKey })).rejects.toThrow(/hmac-sha1/)
    for (const algorithm of ALGORITHMS.filter((a) => a !== 'hmac-sha1')) {
      const { privateKey, publicKey } = await generateKeyPair(algorithm)
      const signed = await signRequest(post(), { key: privateKey })
      expect(await verifies(signed, publicKey), algorithm).toBe(true)
    }
  })
})

describe('signRequest option checks (TypeError)', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['no key', {}],
    ['an unknown option', { key: hmac, compnents: ['@method'] }],
    ['a bad label', { key: hmac, label: 'Sig 1' }],
    ['a trailer component', { key: hmac, components: ['"expires";tr'] }],
    ['an unknown derived component', { key: hmac, components: ['@foo'] }],
    ['a duplicate component', { key: hmac, components: ['@method', '"@method"'] }],
    ['components not an array', { key: hmac, components: '@method' }],
    ['a negative created', { key: hmac, created: -1 }],
    ['a fractional expires', { key: hmac, expires: 1.5 }],
    ['a zero expiresIn', { key: hmac, expiresIn: 0 }],
    ['a non-ASCII nonce', { key: hmac, nonce: 'é' }],
    ['an empty tag', { key: hmac, tag: '' }],
    ['a bad digest', { key: hmac, digest: 'md5' }],
    ['a non-boolean alg', { key: hmac, alg: 'yes' }],
    ['a non-key', { key: { algorithm: 'hmac-sha256' } }],
    [
      'signatures and acceptSignature together',
      { key: hmac, signatures: [{}], acceptSignature: 'sig1=()' },
    ],
    ['empty signatures', { key: hmac, signatures: [] }],
    ['repeated labels', { key: hmac, signatures: [{ label: 'a' }, { label: 'a' }] }],
    ['a covered field that is absent', { key: hmac, components: ['x-missing'] }],
    ['@status on a request', { key: hmac, components: ['@status'] }],
  ]
  it.each(cases)('refuses %s', async (_name, options) => {
    await expect(signRequest(post(), options as never)).rejects.toThrow(TypeError)
  })

  it('refuses a public key, at createSigner time', async () => {
    const { publicKey } = await generateKeyPair('ed25519')
    expect(() => createSigner({ key: publicKey })).toThrow(TypeError)
  })

  it('refuses a body already read', async () => {
    const request = post()
    await request.text()
    await expect(signRequest(request, { key: hmac })).rejects.toThrow(TypeError)
  })
})

describe('createSigner', () => {
  it('imports key material once and signs many requests', async () => {
    const signer = createSigner({
      key: { material: secret, algorithm: 'hmac-sha256', keyId: 'client-1' },
    })
    for (let i = 0; i < 3; i++) {
      const signed = await signer.signRequest(post(`{"i":${i}}`))
      expect(await verifies(signed, hmac)).toBe(true)
    }
  })

  it('reports bad key material on first use, as a TypeError', async () => {
    const signer = createSigner({ key: { material: 'not a pem', algorithm: 'ed25519' } })
    await expect(signer.signRequest(post())).rejects.toThrow(TypeError)
  })

  it('takes per-call overrides', async () => {
    const signer = createSigner({ key: hmac, tag: 'a' })
    const signed = await signer.signRequest(post(), { nonce: 'fixed', created: 100, tag: 'b' })
    expect(parseSignatureInput(signed.headers.get('signature-input')!).get('sig1')!.params).toEqual(
      {
        created: 100,
        keyid: 'client-1',
        nonce: 'fixed',
        tag: 'b',
      },
    )
    await expect(signer.signRequest(post(), { label: 'x' } as never)).rejects.toThrow(TypeError)
  })

  it('uses the key ring’s signing key', async () => {
    const ring = createKeyRing([hmac])
    const signed = await createSigner({ keyring: ring }).signRequest(post())
    expect(await verifies(signed, hmac)).toBe(true)
  })
})

describe('Accept-Signature', () => {
  it('signs with the label, components and parameters a server asks for', async () => {
    const other = await importKey(utf8('another shared secret of 32+ bytes!!'), {
      algorithm: 'hmac-sha256',
      keyId: 'k2',
    })
    const ring = createKeyRing([hmac, other])
    const signed = await signRequest(post(), {
      keyring: ring,
      acceptSignature:
        'sig-b=("@method" "@target-uri" "content-digest");keyid="client-1";alg="hmac-sha256";created;expires;nonce="server-n";tag="app-123"',
    })
    const member = parseSignatureInput(signed.headers.get('signature-input')!).get('sig-b')!
    expect(member.components.map((c) => c.id)).toEqual([
      '"@method"',
      '"@target-uri"',
      '"content-digest"',
    ])
    expect(member.params).toMatchObject({
      keyid: 'client-1',
      alg: 'hmac-sha256',
      nonce: 'server-n',
      tag: 'app-123',
    })
    expect(member.params.expires).toBe((member.params.created as number) + 300)
    expect(await verifies(signed, hmac, 'sig-b')).toBe(true)
  })

  it('refuses what the key cannot satisfy', async () => {
    await expect(
      signRequest(post(), { key: hmac, acceptSignature: 'sig1=("@method");alg="ed25519"' }),
    ).rejects.toThrow(/ed25519/)
    await expect(
      signRequest(post(), { key: hmac, acceptSignature: 'sig1=("@method");keyid="other"' }),
    ).rejects.toThrow(TypeError)
    await expect(
      signRequest(post(), { key: hmac, acceptSignature: 'sig1=("@x";tr)' }),
    ).rejects.toThrow(TypeError)
    await expect(signRequest(post(), { key: hmac, acceptSignature: '' })).rejects.toThrow(TypeError)
  })
})

describe('signResponse', () => {
  it('covers @status, content-digest and content-type by default', async () => {
    const signed = await signResponse(Response.json({ ok: true }, { status: 201 }), { key: hmac })
    const member = parseSignatureInput(signed.headers.get('signature-input')!).get('sig1')!
    expect(member.components.map((c) => c.id)).toEqual([
      '"@status"',
      '"content-digest"',
      '"content-type"',
    ])
    expect(signed.status).toBe(201)
    expect(await signed.clone().json()).toEqual({ ok: true })
    expect(await verifies(signed, hmac)).toBe(true)
  })

  it('binds a response to its request with ;req', async () => {
    const request = await signRequest(post(), { key: hmac })
    const signed = await signResponse(new Response('done'), {
      key: hmac,
      request,
      components: [
        '@status',
        '"@method";req',
        '"@target-uri";req',
        '"content-digest";req',
        '"signature";key="sig1";req',
      ],
    })
    expect(await verifies(signed, hmac, 'sig1', request)).toBe(true)
    const other = post('{"id":2}')
    await expect(
      verifies(signed, hmac, 'sig1', await signRequest(other, { key: hmac })),
    ).resolves.toBe(false)
    await expect(
      signResponse(new Response('x'), { key: hmac, components: ['"@method";req'] }),
    ).rejects.toThrow(TypeError)
  })

  it('signs a response without a body', async () => {
    const signed = await createSigner({ key: hmac }).signResponse(
      new Response(null, { status: 204 }),
    )
    expect(signed.status).toBe(204)
    expect(signed.headers.has('content-digest')).toBe(false)
    expect(await verifies(signed, hmac)).toBe(true)
  })
})

describe('presets', () => {
  it('signIcypeas computes the documented HMAC-SHA1 (seed algorithm)', async () => {
    const url = 'https://app.icypeas.com/api/a/actions/subscription-information'
    const timestamp = new Date('2023-03-12T12:01:02.000Z')
    const original = new Request(url, { method: 'POST', body: '{"email":"test@icypeas.com"}' })
    const signed = await signIcypeas(original, {
      apiKey: 'test-key',
      secret: 'test-secret',
      timestamp,
    })
    const expected = createHmac('sha1', 'test-secret')
      .update(`POST${new URL(url).pathname}${timestamp.toISOString()}`.toLowerCase())
      .digest('hex')
    expect(signed.headers.get('authorization')).toBe(`test-key:${expected}`)
    expect(signed.headers.get('x-rock-timestamp')).toBe('2023-03-12T12:01:02.000Z')
    expect(await signed.text()).toBe('{"email":"test@icypeas.com"}')
    expect(await original.text()).toBe('{"email":"test@icypeas.com"}')
  })

  it('signIcypeas defaults the timestamp to now and checks its options', async () => {
    const signed = await signIcypeas(new Request('https://a.example/x'), {
      apiKey: 'k',
      secret: 's',
    })
    expect(Math.abs(Date.parse(signed.headers.get('x-rock-timestamp')!) - Date.now())).toBeLessThan(
      5000,
    )
    await expect(
      signIcypeas(new Request('https://a.example/x'), { apiKey: 'a:b', secret: 's' }),
    ).rejects.toThrow(TypeError)
    await expect(
      signIcypeas(new Request('https://a.example/x'), { apiKey: 'k', secret: '' }),
    ).rejects.toThrow(TypeError)
  })

  it('signApiKey sets the bare key', async () => {
    const signed = await signApiKey(new Request('https://a.example/x'), { apiKey: 'MY_API_KEY' })
    expect(signed.headers.get('authorization')).toBe('MY_API_KEY')
    const custom = await signApiKey(new Request('https://a.example/x'), {
      apiKey: 'k',
      header: 'x-api-key',
    })
    expect(custom.headers.get('x-api-key')).toBe('k')
    await expect(signApiKey(new Request('https://a.example/x'), { apiKey: 'a b' })).rejects.toThrow(
      TypeError,
    )
  })
})

it('exposes nothing that leaks the secret in errors', async () => {
  const error = await signRequest(post(), { key: hmac, components: ['x-missing'] }).catch(
    (e: unknown) => e,
  )
  expect(String((error as Error).message)).not.toContain(toBase64(secret))
})
