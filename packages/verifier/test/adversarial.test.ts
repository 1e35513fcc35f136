/**
 * Adversarial suite: a good signed request, then one tampering at a time, each refused with the
 * right code. Requests are verified as an adapter sees them (`verifyMessage` with the raw field
 * lines), and, for duplicates joined by `Headers`, as a Fetch server sees them (`verifyRequest`).
 * Some tamperings need a signature Countersign's signer refuses to make (`;tr`, an `md5`
 * digest, HMAC keyed with a public key): those are signed by hand with node:crypto, so the
 * verifier is shown to refuse a *valid* signature over a forbidden shape, not a broken one.
 */
import { createHash, createHmac } from 'node:crypto'
import {
  createMemoryStore,
  type FieldLine,
  fromBase64Url,
  generateKeyPair,
  importKey,
  type Key,
  utf8,
} from '@countersign/core'
import { type SignRequestOptions, signMessage } from '@countersign/signer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createVerifier, type ReceivedRequest, type VerifyRequestOptions } from '../src/index.ts'

const SECRET = utf8('a shared secret of at least 32 bytes!!')
const hmac = await importKey(SECRET, { algorithm: 'hmac-sha256', keyId: 'k1' })
const hmac2 = await importKey(utf8('another shared secret, 32 bytes long!'), {
  algorithm: 'hmac-sha256',
  keyId: 'k2',
})
const ed = await generateKeyPair('ed25519', { keyId: 'e1', extractable: true })
const KEYS: Record<string, Key> = { k1: hmac, k2: hmac2, e1: ed.publicKey }

const ORIGIN = 'https://api.example.com'
const URL_ = `${ORIGIN}/v1/orders?b=2&a=1`
const BODY = '{"id":1,"sku":"A-1"}'

function verifier(extra: Partial<VerifyRequestOptions> = {}) {
  return createVerifier({
    keys: (id) => KEYS[id],
    nonceStore: createMemoryStore(),
    ...extra,
  })
}

interface Signed extends ReceivedRequest {
  url: string
  headers: FieldLine[]
  body: Uint8Array
}

/** Signs a request with Countersign's signer and returns it as an adapter receives it. */
async function signed(
  options: Partial<SignRequestOptions> = {},
  parts: { method?: string; url?: string; body?: string; type?: string | null } = {},
): Promise<Signed> {
  const method = parts.method ?? 'POST'
  const url = parts.url ?? URL_
  const body = utf8(parts.body ?? BODY)
  const type = parts.type === undefined ? 'application/json' : parts.type
  const base: FieldLine[] = [['Host', new URL(url).host]]
  if (type !== null) {
    base.push(['Content-Type', type])
  }
  const fields = await signMessage({ method, url, headers: base, body }, {
    key: hmac,
    ...options,
  } as SignRequestOptions)
  const lines: FieldLine[] = [...base]
  if (fields['content-digest'] !== undefined) {
    lines.push(['Content-Digest', fields['content-digest']])
  }
  lines.push(['Signature-Input', fields['signature-input']], ['Signature', fields.signature])
  return { method, url, headers: lines, body }
}

function field(m: Signed, name: string): string {
  const line = m.headers.find(([n]) => n.toLowerCase() === name)
  if (line === undefined) {
    throw new Error(`no ${name}`)
  }
  return line[1]
}

function withField(m: Signed, name: string, value: string | null): Signed {
  const lines = m.headers.filter(([n]) => n.toLowerCase() !== name)
  if (value !== null) {
    lines.push([name, value])
  }
  return { ...m, headers: lines }
}

function addLine(m: Signed, name: string, value: string): Signed {
  return { ...m, headers: [...m.headers, [name, value]] }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code?: string }).code ?? `uncoded ${String(error)}`
  }
  return 'verified'
}

/** Verifies as an adapter does (raw field lines) with a fresh verifier. */
function verdict(m: ReceivedRequest, extra: Partial<VerifyRequestOptions> = {}): Promise<string> {
  return codeOf(verifier(extra).verifyMessage(m))
}

/** Verifies as a Fetch server does: a `Request` whose `Headers` joined repeated lines. */
function verdictAsRequest(m: Signed): Promise<string> {
  const headers = new Headers()
  for (const [name, value] of m.headers) {
    headers.append(name, value)
  }
  return codeOf(
    verifier().verifyRequest(
      new Request(m.url, { method: m.method, headers, body: m.body as Uint8Array<ArrayBuffer> }),
    ),
  )
}

const now = () => Math.floor(Date.now() / 1000)
const digestOf = (body: string | Uint8Array, alg = 'sha256') =>
  createHash(alg).update(body).digest('base64')

/**
 * Signs by hand: the components as written in `Signature-Input`, their values, the parameters
 * text, and the HMAC key bytes. For shapes the signer refuses.
 */
function handSigned(
  m: Signed,
  components: string[],
  values: string[],
  params: string,
  secret: Uint8Array = SECRET,
): Signed {
  const list = `(${components.join(' ')})${params}`
  const base = [
    ...components.map((c, i) => `${c}: ${values[i]}`),
    `"@signature-params": ${list}`,
  ].join('\n')
  const mac = createHmac('sha256', secret).update(base).digest('base64')
  return withField(withField(m, 'signature-input', `sig1=${list}`), 'signature', `sig1=:${mac}:`)
}

it('the untampered request verifies (every tampering below starts from it)', async () => {
  const m = await signed()
  const verified = await verifier().verifyMessage(m)
  expect(verified).toMatchObject({ keyId: 'k1', label: 'sig1', algorithm: 'hmac-sha256' })
  expect(new TextDecoder().decode(verified.body)).toBe(BODY)
  expect(await verdictAsRequest(await signed())).toBe('verified')
})

describe('the target: method, path, query, authority, scheme', () => {
  const cases: [string, (m: Signed) => Signed | Promise<Signed>][] = [
    ['method changed (POST -> PUT)', (m) => ({ ...m, method: 'PUT' })],
    ['method case changed (POST -> post, as sent on the wire)', (m) => ({ ...m, method: 'post' })],
    ['path case changed (/v1 -> /V1)', (m) => ({ ...m, url: m.url.replace('/v1/', '/V1/') })],
    ['query reordered', (m) => ({ ...m, url: `${ORIGIN}/v1/orders?a=1&b=2` })],
    ['query parameter added', (m) => ({ ...m, url: `${m.url}&admin=1` })],
    ['query parameter removed', (m) => ({ ...m, url: `${ORIGIN}/v1/orders?b=2` })],
    [
      'empty query added',
      async () => ({
        ...(await signed({}, { url: `${ORIGIN}/v1/orders` })),
        url: `${ORIGIN}/v1/orders?`,
      }),
    ],
    ['host changed', (m) => ({ ...m, url: m.url.replace('api.example.com', 'api.example.org') })],
    [
      'port changed',
      (m) => ({ ...m, url: m.url.replace('api.example.com', 'api.example.com:8443') }),
    ],
    ['scheme changed (https -> http)', (m) => ({ ...m, url: m.url.replace('https:', 'http:') })],
  ]
  it.each(cases)('%s -> signature_invalid', async (_name, tamper) => {
    expect(await verdict(await tamper(await signed()))).toBe('signature_invalid')
  })

  it('percent-encoding changed (/a%2Fb vs /a/b) -> signature_invalid', async () => {
    const m = await signed({}, { url: `${ORIGIN}/v1/a%2Fb` })
    expect(await verdict({ ...m, url: `${ORIGIN}/v1/a/b` })).toBe('signature_invalid')
    const back = await signed({}, { url: `${ORIGIN}/v1/a/b` })
    expect(await verdict({ ...back, url: `${ORIGIN}/v1/a%2Fb` })).toBe('signature_invalid')
  })

  it('percent-encoding changed (%7E vs ~) -> signature_invalid', async () => {
    const m = await signed({}, { url: `${ORIGIN}/v1/%7Euser` })
    expect(await verdict({ ...m, url: `${ORIGIN}/v1/~user` })).toBe('signature_invalid')
    const back = await signed({}, { url: `${ORIGIN}/v1/~user` })
    expect(await verdict({ ...back, url: `${ORIGIN}/v1/%7Euser` })).toBe('signature_invalid')
  })

  it('a default port written out or a fragment is the same target (not a tampering)', async () => {
    expect(await verdict({ ...(await signed()), url: URL_.replace('.com/', '.com:443/') })).toBe(
      'verified',
    )
    expect(await verdict({ ...(await signed()), url: `${URL_}#frag` })).toBe('verified')
  })
})

describe('duplicated fields', () => {
  const DUPLICATES: [string, string][] = [
    ['Host', 'evil.example'],
    ['Content-Type', 'text/plain'],
    ['Content-Digest', `sha-256=:${digestOf('{}')}:`],
    ['Signature', 'sig1=:AAAA:'],
    ['Signature-Input', 'sig1=("@method");created=1;keyid="k1";nonce="n"'],
    ['Authorization', 'Bearer second'],
  ]

  it.each(DUPLICATES)(
    'a second %s line (raw field lines) -> duplicate_header',
    async (name, value) => {
      let m = await signed()
      if (name === 'Authorization') {
        m = addLine(m, 'Authorization', 'Bearer first')
      }
      expect(await verdict(addLine(m, name, value))).toBe('duplicate_header')
    },
  )

  it.each([
    ['Host', 'evil.example'],
    ['Content-Type', 'text/plain'],
    ['Content-Digest', '__same__'],
    ['Signature', '__same__'],
    ['Signature-Input', '__same__'],
    ['Authorization', 'Bearer second'],
  ])('a second %s line joined by Headers -> duplicate_header', async (name, value) => {
    let m = await signed()
    if (name === 'Authorization') {
      m = addLine(m, 'Authorization', 'Bearer first')
    }
    // Headers joins repeated lines with ", ": the same label or algorithm twice is visible.
    const second = value === '__same__' ? field(m, name.toLowerCase()) : value
    expect(await verdictAsRequest(addLine(m, name, second))).toBe('duplicate_header')
  })
})

describe('the body and its digest', () => {
  it('a body byte flipped -> digest_mismatch', async () => {
    const m = await signed()
    const body = new Uint8Array(m.body)
    body[5] = (body[5] as number) ^ 1
    expect(await verdict({ ...m, body })).toBe('digest_mismatch')
  })

  it('bytes appended to the body -> digest_mismatch', async () => {
    const m = await signed()
    expect(await verdict({ ...m, body: utf8(`${BODY} `) })).toBe('digest_mismatch')
  })

  it('the body truncated -> digest_mismatch', async () => {
    const m = await signed()
    expect(await verdict({ ...m, body: m.body.subarray(0, m.body.length - 1) })).toBe(
      'digest_mismatch',
    )
  })

  it('Content-Type changed -> signature_invalid', async () => {
    expect(await verdict(withField(await signed(), 'content-type', 'text/plain'))).toBe(
      'signature_invalid',
    )
  })

  it('Content-Digest removed -> digest_missing', async () => {
    expect(await verdict(withField(await signed(), 'content-digest', null))).toBe('digest_missing')
  })

  it('Content-Digest altered (body unchanged) -> signature_invalid', async () => {
    const m = withField(await signed(), 'content-digest', `sha-256=:${digestOf('{"id":2}')}:`)
    expect(await verdict(m)).toBe('signature_invalid')
  })

  it('Content-Digest and body both replaced consistently -> signature_invalid', async () => {
    const m = withField(await signed(), 'content-digest', `sha-256=:${digestOf('{"id":2}')}:`)
    expect(await verdict({ ...m, body: utf8('{"id":2}') })).toBe('signature_invalid')
  })

  it('Content-Digest swapped for the sha-512 of the same body -> signature_invalid', async () => {
    const m = withField(await signed(), 'content-digest', `sha-512=:${digestOf(BODY, 'sha512')}:`)
    expect(await verdict(m)).toBe('signature_invalid')
  })

  it('a validly signed Content-Digest with another algorithm only (md5) -> digest_mismatch', async () => {
    const m = await signed()
    const digest = `md5=:${digestOf(BODY, 'md5')}:`
    const forged = handSigned(
      withField(m, 'content-digest', digest),
      ['"@method"', '"@target-uri"', '"content-digest"', '"content-type"'],
      ['POST', URL_, digest, 'application/json'],
      `;created=${now()};keyid="k1";nonce="md5-only"`,
    )
    expect(await verdict(forged)).toBe('digest_mismatch')
  })
})

describe('time window and nonce', () => {
  it('the same request twice -> replayed', async () => {
    const v = verifier()
    const m = await signed()
    await v.verifyMessage(m)
    expect(await codeOf(v.verifyMessage(m))).toBe('replayed')
  })

  it('created too long ago -> signature_expired', async () => {
    expect(await verdict(await signed({ created: now() - 301 }))).toBe('signature_expired')
  })

  it('created in the future -> signature_expired', async () => {
    expect(await verdict(await signed({ created: now() + 120 }))).toBe('signature_expired')
  })

  it('expires passed -> signature_expired', async () => {
    expect(await verdict(await signed({ created: now() - 20, expires: now() - 10 }))).toBe(
      'signature_expired',
    )
  })

  it('no created -> signature_invalid', async () => {
    expect(await verdict(await signed({ created: false }))).toBe('signature_invalid')
  })

  it('no nonce -> signature_invalid', async () => {
    expect(await verdict(await signed({ nonce: false }))).toBe('signature_invalid')
  })
})

describe('keys and algorithms', () => {
  it('signed with one key, keyid naming another known key -> signature_invalid', async () => {
    expect(await verdict(await signed({ key: hmac, keyid: 'k2' }))).toBe('signature_invalid')
  })

  it('keyid edited in Signature-Input after signing -> signature_invalid', async () => {
    const m = await signed()
    const input = field(m, 'signature-input').replace('keyid="k1"', 'keyid="k2"')
    expect(await verdict(withField(m, 'signature-input', input))).toBe('signature_invalid')
  })

  it('unknown keyid -> key_unknown', async () => {
    expect(await verdict(await signed({ keyid: 'nobody' }))).toBe('key_unknown')
  })

  it('no keyid -> key_unknown', async () => {
    expect(await verdict(await signed({ keyid: false }))).toBe('key_unknown')
  })

  it('alg="ed25519" on a signature by an hmac-sha256 key -> algorithm_mismatch', async () => {
    const m = await signed()
    const input = field(m, 'signature-input').replace(';keyid="k1"', ';keyid="k1";alg="ed25519"')
    expect(await verdict(withField(m, 'signature-input', input))).toBe('algorithm_mismatch')
  })

  it('alg="hmac-sha256" keyed with an ed25519 public key as the secret -> algorithm_mismatch', async () => {
    const jwk = ed.publicKey.publicJwk() as { x: string }
    const publicBytes = fromBase64Url(jwk.x)
    const m = await signed()
    const d = field(m, 'content-digest')
    const forged = handSigned(
      m,
      ['"@method"', '"@target-uri"', '"content-digest"', '"content-type"'],
      ['POST', URL_, d, 'application/json'],
      `;created=${now()};keyid="e1";alg="hmac-sha256";nonce="confused"`,
      publicBytes,
    )
    expect(await verdict(forged)).toBe('algorithm_mismatch')
    // Without the alg parameter the key decides: Ed25519, and the HMAC does not verify.
    const quiet = handSigned(
      m,
      ['"@method"', '"@target-uri"', '"content-digest"', '"content-type"'],
      ['POST', URL_, d, 'application/json'],
      `;created=${now()};keyid="e1";nonce="confused-2"`,
      publicBytes,
    )
    expect(await verdict(quiet)).toBe('signature_invalid')
  })
})

describe('the signature value', () => {
  const bytesOf = (m: Signed) => Buffer.from(field(m, 'signature').slice(6, -1), 'base64')
  const withBytes = (m: Signed, bytes: Uint8Array) =>
    withField(m, 'signature', `sig1=:${Buffer.from(bytes).toString('base64')}:`)

  it('truncated -> signature_invalid', async () => {
    const m = await signed()
    expect(await verdict(withBytes(m, bytesOf(m).subarray(0, 31)))).toBe('signature_invalid')
  })

  it('extended -> signature_invalid', async () => {
    const m = await signed()
    expect(await verdict(withBytes(m, Buffer.concat([bytesOf(m), Buffer.from([0])])))).toBe(
      'signature_invalid',
    )
  })

  it('empty -> signature_invalid', async () => {
    expect(await verdict(withField(await signed(), 'signature', 'sig1=::'))).toBe(
      'signature_invalid',
    )
  })

  it('not base64 -> malformed', async () => {
    expect(await verdict(withField(await signed(), 'signature', 'sig1=:!!!!:'))).toBe('malformed')
  })

  it('a string instead of a byte sequence -> malformed', async () => {
    expect(await verdict(withField(await signed(), 'signature', 'sig1="abc"'))).toBe('malformed')
  })

  it('one bit flipped -> signature_invalid', async () => {
    const m = await signed()
    const bytes = bytesOf(m)
    bytes[0] = (bytes[0] as number) ^ 0x80
    expect(await verdict(withBytes(m, bytes))).toBe('signature_invalid')
  })
})

describe('labels and field pairs', () => {
  it('Signature labelled differently from Signature-Input -> signature_missing', async () => {
    const m = await signed()
    expect(
      await verdict(withField(m, 'signature', field(m, 'signature').replace('sig1=', 'sig2='))),
    ).toBe('signature_missing')
  })

  it('Signature without Signature-Input -> signature_missing', async () => {
    expect(await verdict(withField(await signed(), 'signature-input', null))).toBe(
      'signature_missing',
    )
  })

  it('Signature-Input without Signature -> signature_missing', async () => {
    expect(await verdict(withField(await signed(), 'signature', null))).toBe('signature_missing')
  })
})

describe('covered components', () => {
  it.each([
    ['@method', ['@target-uri', 'content-digest', 'content-type']],
    ['@target-uri', ['@method', 'content-digest', 'content-type']],
    ['content-digest', ['@method', '@target-uri', 'content-type']],
    ['content-type', ['@method', '@target-uri', 'content-digest']],
  ])(
    'a valid signature that does not cover %s -> component_missing',
    async (_missing, components) => {
      expect(await verdict(await signed({ components }))).toBe('component_missing')
    },
  )

  it('a validly signed ";tr" component -> component_unsupported', async () => {
    const m = await signed()
    const forged = handSigned(
      m,
      ['"@method"', '"@target-uri"', '"content-digest"', '"content-type";tr'],
      ['POST', URL_, field(m, 'content-digest'), 'application/json'],
      `;created=${now()};keyid="k1";nonce="tr"`,
    )
    expect(await verdict(forged)).toBe('component_unsupported')
  })

  it('a validly signed unknown component parameter -> component_unsupported', async () => {
    const m = await signed()
    const forged = handSigned(
      m,
      ['"@method"', '"@target-uri"', '"content-digest"', '"content-type";foo'],
      ['POST', URL_, field(m, 'content-digest'), 'application/json'],
      `;created=${now()};keyid="k1";nonce="foo"`,
    )
    expect(await verdict(forged)).toBe('component_unsupported')
  })

  it('an unknown derived component -> component_unsupported', async () => {
    const m = await signed()
    const input = field(m, 'signature-input').replace('"@method"', '"@method" "@everything"')
    expect(await verdict(withField(m, 'signature-input', input))).toBe('component_unsupported')
  })
})

describe('tags', () => {
  it('another tag than the one required -> signature_missing', async () => {
    expect(await verdict(await signed({ tag: 'billing' }), { tag: 'orders' })).toBe(
      'signature_missing',
    )
  })

  it('no tag when one is required -> signature_missing', async () => {
    expect(await verdict(await signed(), { tag: 'orders' })).toBe('signature_missing')
  })

  it('the required tag verifies', async () => {
    expect(await verdict(await signed({ tag: 'orders' }), { tag: 'orders' })).toBe('verified')
  })
})

describe('properties', () => {
  // Dot segments are removed by URL parsing on both sides, so they are not a change.
  const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/).filter((s) => s !== '.' && s !== '..')
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
    path: fc.array(segment, { minLength: 1, maxLength: 4 }),
    query: fc.array(fc.tuple(segment, segment), { maxLength: 3 }),
    body: fc.uint8Array({ maxLength: 64 }),
    type: fc.constantFrom('application/json', 'text/plain; charset=utf-8', null),
    algorithm: fc.constantFrom('hmac-sha256', 'ed25519'),
  })
  const edPrivate = ed.privateKey

  interface Generated {
    method: string
    path: string[]
    query: [string, string][]
    body: Uint8Array
    type: string | null
    algorithm: 'hmac-sha256' | 'ed25519'
  }

  async function sign(r: Generated): Promise<Signed> {
    const query = r.query.map(([k, v]) => `${k}=${v}`).join('&')
    const url = `${ORIGIN}/${r.path.join('/')}${query === '' ? '' : `?${query}`}`
    const lines: FieldLine[] = [['Host', 'api.example.com']]
    if (r.type !== null) {
      lines.push(['Content-Type', r.type])
    }
    const fields = await signMessage(
      { method: r.method, url, headers: lines, body: r.body },
      {
        key: r.algorithm === 'ed25519' ? edPrivate : hmac,
        keyid: r.algorithm === 'ed25519' ? 'e1' : 'k1',
      },
    )
    const out: FieldLine[] = [...lines]
    if (fields['content-digest'] !== undefined) {
      out.push(['Content-Digest', fields['content-digest']])
    }
    out.push(['Signature-Input', fields['signature-input']], ['Signature', fields.signature])
    return { method: r.method, url, headers: out, body: r.body }
  }

  it('any signed request verifies, with its exact body', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const m = await sign(r)
        const verified = await verifier().verifyMessage(m)
        expect(verified.keyId).toBe(r.algorithm === 'ed25519' ? 'e1' : 'k1')
        expect(Buffer.from(verified.body).equals(Buffer.from(r.body))).toBe(true)
      }),
      { numRuns: 150 },
    )
  })

  const change = fc.oneof(
    fc.constant({ kind: 'method' as const }),
    fc.constant({ kind: 'path' as const }),
    fc.constant({ kind: 'query' as const }),
    fc.constant({ kind: 'host' as const }),
    fc.constant({ kind: 'scheme' as const }),
    fc.record({
      kind: fc.constant('body' as const),
      at: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
    fc.constant({ kind: 'append' as const }),
    fc.constant({ kind: 'type' as const }),
    fc.constant({ kind: 'digest' as const }),
  )

  it('any change to a covered part is refused', async () => {
    await fc.assert(
      fc.asyncProperty(request, change, async (r, c) => {
        const m = await sign(r)
        let t: Signed = m
        switch (c.kind) {
          case 'method':
            t = { ...m, method: m.method === 'POST' ? 'PUT' : 'POST' }
            break
          case 'path':
            t = { ...m, url: m.url.replace(`${ORIGIN}/`, `${ORIGIN}/x`) }
            break
          case 'query':
            t = { ...m, url: `${m.url}${m.url.includes('?') ? '&' : '?'}z=1` }
            break
          case 'host':
            t = { ...m, url: m.url.replace('api.example.com', 'api2.example.com') }
            break
          case 'scheme':
            t = { ...m, url: m.url.replace('https:', 'http:') }
            break
          case 'body': {
            if (m.body.length === 0) {
              t = { ...m, body: new Uint8Array([c.bit]) }
            } else {
              const body = new Uint8Array(m.body)
              const i = c.at % body.length
              body[i] = (body[i] as number) ^ (1 << c.bit)
              t = { ...m, body }
            }
            break
          }
          case 'append':
            t = { ...m, body: new Uint8Array([...m.body, 0x20]) }
            break
          case 'type':
            t =
              r.type === null
                ? addLine(m, 'Content-Type', 'application/json')
                : withField(m, 'content-type', `${r.type}x`)
            break
          case 'digest':
            t = withField(m, 'content-digest', `sha-256=:${digestOf('something else')}:`)
            break
        }
        const code = await verdict(t)
        expect(code).not.toBe('verified')
        expect(code).not.toMatch(/^uncoded/)
        expect([
          'signature_invalid',
          'digest_mismatch',
          'digest_missing',
          'component_missing',
        ]).toContain(code)
      }),
      { numRuns: 200 },
    )
  })
})
