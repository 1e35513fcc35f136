/**
 * Malformed input over real HTTP: garbage, huge, non-ASCII, deeply nested or wrongly typed
 * `Signature-Input`, `Signature` and `Content-Digest` values (sent byte for byte on a raw
 * socket) get a 4xx with a problem `code` from every adapter: never a 500, a hang or an
 * uncaught error. A fast-check run sends generated values through the node adapter.
 */
import { createMemoryStore, importKey, type Key, utf8 } from '@countersign/core'
import { signRequest } from '@countersign/signer'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countersign as expressCountersign } from '../src/adapters/express.ts'
import { countersign as fastifyCountersign } from '../src/adapters/fastify.ts'
import { countersign as honoCountersign } from '../src/adapters/hono.ts'
import { countersign as nodeCountersign } from '../src/adapters/node.ts'
import {
  ADAPTERS,
  type AdapterName,
  parseRaw,
  type RunningServer,
  rawExchange,
  startServer,
} from './helpers/servers.ts'

const hmac = await importKey(utf8('a shared secret of at least 32 bytes!!'), {
  algorithm: 'hmac-sha256',
  keyId: 'k1',
})
const keys = (id: string): Key | undefined => (id === 'k1' ? hmac : undefined)
const BODY = '{"order":1}'
const MB = 1024 * 1024

type Field = 'signature-input' | 'signature' | 'content-digest'

/** A well-signed request's header lines, with `field` replaced by `value` (byte for byte). */
async function requestWith(
  server: RunningServer,
  replace: Partial<Record<Field, string>>,
): Promise<string> {
  const signed = await signRequest(
    new Request(`${server.origin}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    }),
    { key: hmac },
  )
  const lines: string[] = []
  for (const [name, value] of signed.headers) {
    const override = replace[name as Field]
    lines.push(`${name}: ${override ?? value}`)
  }
  return [
    'POST /v1/orders HTTP/1.1',
    `Host: 127.0.0.1:${server.port}`,
    ...lines,
    `Content-Length: ${BODY.length}`,
    'Connection: close',
    '',
    BODY,
  ].join('\r\n')
}

const nested = (depth: number) => `sig1=${'('.repeat(depth)}"@method"${')'.repeat(depth)}`
const latin1Garbage = Array.from({ length: 300 }, (_, i) =>
  String.fromCharCode(0x80 + (i % 128)),
).join('')

/** Each case: which field, what value, and the code(s) it must get. */
const CORPUS: [string, Partial<Record<Field, string>>, string[]][] = [
  ['Signature-Input: random visible bytes', { 'signature-input': '}{)(;;==,,"\\' }, ['malformed']],
  ['Signature: random visible bytes', { signature: '::::===;;' }, ['malformed']],
  ['Content-Digest: random visible bytes', { 'content-digest': '(((=;:' }, ['malformed']],
  ['Signature-Input: 1 MB', { 'signature-input': `sig1=("${'a'.repeat(MB)}")` }, ['malformed']],
  ['Signature: 1 MB', { signature: `sig1=:${'A'.repeat(MB)}:` }, ['malformed']],
  ['Content-Digest: 1 MB', { 'content-digest': `sha-256=:${'A'.repeat(MB)}:` }, ['malformed']],
  [
    'Signature-Input: deeply nested inner lists',
    { 'signature-input': nested(5000) },
    ['malformed'],
  ],
  [
    'Signature-Input: non-ASCII (latin-1 bytes)',
    { 'signature-input': `sig1=("@method");keyid="${latin1Garbage}"` },
    ['malformed'],
  ],
  ['Signature: non-ASCII', { signature: `sig1=:${latin1Garbage}:` }, ['malformed']],
  ['Content-Digest: non-ASCII', { 'content-digest': `sha-256=:é:` }, ['malformed']],
  [
    'Signature-Input: an item, not an inner list',
    { 'signature-input': 'sig1="@method"' },
    ['malformed'],
  ],
  [
    'Signature-Input: components that are not strings',
    { 'signature-input': 'sig1=(method 1 ?1);created=1' },
    ['malformed'],
  ],
  ['Signature: a string, not bytes', { signature: 'sig1="abc"' }, ['malformed']],
  ['Signature: an inner list', { signature: 'sig1=(:AAAA:)' }, ['malformed']],
  ['Content-Digest: sha-256 as an integer', { 'content-digest': 'sha-256=42' }, ['malformed']],
  [
    'Content-Digest: sha-256 as an inner list',
    { 'content-digest': 'sha-256=(:AAAA:)' },
    ['malformed'],
  ],
  [
    'created is a string',
    { 'signature-input': 'sig1=("@method");created="yesterday";keyid="k1";nonce="n"' },
    ['malformed'],
  ],
  [
    'created is a decimal',
    { 'signature-input': 'sig1=("@method");created=1.5;keyid="k1";nonce="n"' },
    ['malformed'],
  ],
  [
    'created is negative',
    { 'signature-input': 'sig1=("@method");created=-1;keyid="k1";nonce="n"' },
    ['malformed'],
  ],
  [
    'created is out of range (16 digits)',
    { 'signature-input': 'sig1=("@method");created=9999999999999999;keyid="k1"' },
    ['malformed'],
  ],
  [
    'created is far in the future (15 digits)',
    {
      'signature-input':
        'sig1=("@method" "@target-uri" "content-digest" "content-type");created=999999999999999;keyid="k1";nonce="n"',
    },
    ['signature_expired'],
  ],
  [
    'keyid is an integer',
    { 'signature-input': 'sig1=("@method");created=1;keyid=123;nonce="n"' },
    ['malformed'],
  ],
  [
    'nonce is a boolean',
    { 'signature-input': 'sig1=("@method");created=1;keyid="k1";nonce=?1' },
    ['malformed'],
  ],
  [
    'alg is a byte sequence',
    { 'signature-input': 'sig1=("@method");created=1;keyid="k1";alg=:AAAA:' },
    ['malformed'],
  ],
  [
    'expires is a token',
    { 'signature-input': 'sig1=("@method");created=1;expires=never;keyid="k1"' },
    ['malformed'],
  ],
  [
    'the same label twice',
    { 'signature-input': 'sig1=("@method");created=1, sig1=("@path");created=2' },
    ['duplicate_header'],
  ],
  ['an empty Signature-Input', { 'signature-input': '' }, ['signature_missing', 'malformed']],
  ['a label the Signature lacks', { signature: 'other=:AAAA:' }, ['signature_missing']],
  [
    'an unsupported component',
    { 'signature-input': 'sig1=("@method" "@everything");created=1;keyid="k1";nonce="n"' },
    ['component_unsupported'],
  ],
]

const FOUR_XX: Record<string, number> = {
  malformed: 400,
  duplicate_header: 400,
  component_unsupported: 400,
  signature_missing: 401,
  signature_expired: 401,
  signature_invalid: 401,
}

describe.each(ADAPTERS)(
  '%s adapter: malformed signature fields over real HTTP',
  (name: AdapterName) => {
    let server: RunningServer
    beforeAll(async () => {
      server = await startServer(name, { keys, nonceStore: createMemoryStore() })
    })
    afterAll(() => server.close())

    it.each(CORPUS)('%s', async (_label, replace, codes) => {
      const raw = await rawExchange(server.port, await requestWith(server, replace))
      const { status, headers, body } = parseRaw(raw)
      expect(headers).toContain('content-type: application/problem+json')
      const code = (body as { code?: string }).code as string
      expect(codes).toContain(code)
      expect(status).toBe(FOUR_XX[code])
      expect(Object.keys(body as object).sort()).toEqual(['code', 'status', 'title', 'type'])
    })
  },
)

describe('generated header values through the node adapter', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer('node', { keys, nonceStore: createMemoryStore() })
  })
  afterAll(() => server.close())

  // What Node's parser lets through in a field value: visible ASCII, space, tab, obs-text.
  const unit = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'()";=:,*-._?@%\\/ 1aZ+'.split('')) },
    {
      weight: 3,
      arbitrary: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    },
    { weight: 1, arbitrary: fc.constant('\t') },
  )
  const value = fc.oneof(
    fc.string({ unit, maxLength: 60 }).map((v) => `x${v}x`),
    fc.string({ unit, maxLength: 40 }).map((v) => `sig1=(${v});created=1;keyid="k1"`),
    fc.string({ unit, maxLength: 40 }).map((v) => `sig1=:${v}:`),
    fc.string({ unit, maxLength: 40 }).map((v) => `sha-256=:${v}:`),
    fc.nat({ max: 20000 }).map((n) => nested(n % 300)),
    fc.nat({ max: 3 * MB }).map((n) => `sig1=("${'b'.repeat(n % (2 * MB))}")`),
  )

  it('always answer a 4xx with a problem code, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            'signature-input': value,
            signature: value,
            'content-digest': value,
          },
          { requiredKeys: [] },
        ),
        async (replace) => {
          const raw = await rawExchange(server.port, await requestWith(server, replace))
          const { status, body } = parseRaw(raw)
          if (Object.keys(replace).length === 0) {
            expect(status).toBe(200) // nothing replaced: the good request
            return
          }
          expect(status).toBeGreaterThanOrEqual(400)
          expect(status).toBeLessThan(500)
          expect(typeof (body as { code?: unknown }).code).toBe('string')
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('Node keeps its own limits below the adapter', () => {
  it('a server with the default header limit answers 431 itself to a 1 MB header', async () => {
    const { createServer } = await import('node:http')
    const server = createServer(
      nodeCountersign({ keys, origin: 'http://127.0.0.1' }) as unknown as Parameters<
        typeof createServer
      >[0],
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const raw = await rawExchange(
      port,
      `GET / HTTP/1.1\r\nHost: x\r\nSignature: ${'A'.repeat(MB)}\r\nConnection: close\r\n\r\n`,
    )
    expect(parseRaw(raw).status).toBe(431)
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
})

describe('adapter options are checked when the adapter is created', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['no origin', { keys }],
    ['an origin with a path', { keys, origin: 'https://api.example.com/v1' }],
    ['an origin that is not http(s)', { keys, origin: 'ftp://api.example.com' }],
    ['an origin that is a number', { keys, origin: 443 }],
    ['an empty origin list', { keys, origin: [] }],
    ['keys that are not a resolver', { keys: 'k1', origin: 'https://a.example' }],
    ['maxBodyBytes as a string', { keys, origin: 'https://a.example', maxBodyBytes: '1mb' }],
    ['maxAgeSeconds negative', { keys, origin: 'https://a.example', maxAgeSeconds: -1 }],
    ['requireNonce as a string', { keys, origin: 'https://a.example', requireNonce: 'yes' }],
    ['an unknown option', { keys, origin: 'https://a.example', maxAge: 5 }],
    ['fieldLines configured', { keys, origin: 'https://a.example', fieldLines: [] }],
  ]
  it.each(cases)('%s: TypeError from every adapter', async (_label, options) => {
    expect(() => nodeCountersign(options as never)).toThrow(TypeError)
    expect(() => expressCountersign(options as never)).toThrow(TypeError)
    if ('origin' in options) {
      expect(() => honoCountersign(options as never)).toThrow(TypeError)
    }
    const Fastify = (await import('fastify')).default
    const app = Fastify()
    app.register(fastifyCountersign, options as never)
    await expect(app.ready()).rejects.toThrow(TypeError)
  })

  it('body modes and hooks are checked too', () => {
    expect(() =>
      expressCountersign({ keys, origin: 'https://a.example', body: 'xml' as never }),
    ).toThrow(TypeError)
    expect(() =>
      nodeCountersign({ keys, origin: 'https://a.example', onError: 'log' as never }),
    ).toThrow(TypeError)
  })
})
