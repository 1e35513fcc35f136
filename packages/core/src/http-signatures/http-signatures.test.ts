import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeBackend } from '../crypto/node.ts'
import { webBackend } from '../crypto/web.ts'
import { toBase64, utf8 } from '../encoding.ts'
import { isCountersignError } from '../errors.ts'
import { parseDictionary, serializeDictionary, Token } from '../structured-fields.ts'
import {
  createComponentIdentifier,
  parseComponentIdentifier,
  validateComponents,
} from './components.ts'
import { createContentDigest, parseContentDigest, verifyContentDigest } from './content-digest.ts'
import { dictionaryMemberKeys } from './internal.ts'
import type { HttpMessage } from './message.ts'
import { createSignatureBase, encodeQueryParamPart } from './signature-base.ts'
import {
  parseAcceptSignature,
  parseSignature,
  parseSignatureInput,
  serializeSignatures,
} from './signature-fields.ts'

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (isCountersignError(error)) {
      return error.code
    }
    return error instanceof TypeError ? 'TypeError' : `other: ${String(error)}`
  }
  return 'no error'
}

const request = (
  url: string,
  headers: HttpMessage['headers'] = [],
  method = 'POST',
): HttpMessage => ({
  method,
  url,
  headers,
})

function line(message: HttpMessage, component: string): string {
  return createSignatureBase(message, [parseComponentIdentifier(component)], {}).text.split(
    '\n',
  )[0]!
}

describe('derived components (RFC 9421 §2.2)', () => {
  it('normalises the authority: lowercase host, default port removed, other ports kept', () => {
    expect(line(request('https://EXAMPLE.com:443/a'), '@authority')).toBe(
      '"@authority": example.com',
    )
    expect(line(request('http://example.com:80/a'), '@authority')).toBe('"@authority": example.com')
    expect(line(request('https://example.com:8443/a'), '@authority')).toBe(
      '"@authority": example.com:8443',
    )
    expect(line(request('http://[::1]:8080/a'), '@authority')).toBe('"@authority": [::1]:8080')
  })

  it('builds @target-uri without fragment or userinfo', () => {
    expect(line(request('https://u:p@Example.com:443/a/b?x=1#frag'), '@target-uri')).toBe(
      '"@target-uri": https://example.com/a/b?x=1',
    )
    expect(line(request('https://example.com'), '@target-uri')).toBe(
      '"@target-uri": https://example.com/',
    )
  })

  it('gives @query with its "?", "?" alone when absent or empty', () => {
    expect(line(request('https://e.com/p?a=1&b'), '@query')).toBe('"@query": ?a=1&b')
    expect(line(request('https://e.com/p'), '@query')).toBe('"@query": ?')
    expect(line(request('https://e.com/p?'), '@query')).toBe('"@query": ?')
    expect(line(request('https://e.com/p?'), '@request-target')).toBe('"@request-target": /p?')
    expect(line(request('https://e.com/p?a#f'), '@request-target')).toBe('"@request-target": /p?a')
  })

  it('keeps percent-encoding in @path and gives / for an empty path', () => {
    expect(line(request('https://e.com/a%2Fb/c%20d'), '@path')).toBe('"@path": /a%2Fb/c%20d')
    expect(line(request('https://e.com'), '@path')).toBe('"@path": /')
    expect(line(request('http://e.com/x'), '@scheme')).toBe('"@scheme": http')
  })

  it('re-encodes @query-param names and values (§2.2.8)', () => {
    const m = request("https://e.com/p?a+b=c+d&e=%7E!'()*&x=")
    expect(line(m, '"@query-param";name="a%20b"')).toBe('"@query-param";name="a%20b": c%20d')
    expect(line(m, '"@query-param";name="e"')).toBe('"@query-param";name="e": %7E%21%27%28%29*')
    expect(line(m, '"@query-param";name="x"')).toBe('"@query-param";name="x": ')
    expect(codeOf(() => line(m, '"@query-param";name="missing"'))).toBe('component_missing')
    expect(codeOf(() => line(request('https://e.com/p?a=1&a=2'), '"@query-param";name="a"'))).toBe(
      'malformed',
    )
    expect(codeOf(() => line(m, '"@query-param"'))).toBe('malformed')
  })

  it('property: any parameter survives the URL round trip as its re-encoded form', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (name, value) => {
        const url = new URL('https://e.com/p')
        url.searchParams.set(name, value)
        const encoded = encodeQueryParamPart(name)
        const got = line(
          request(url.href),
          createComponentIdentifier('@query-param', { name: encoded }).id,
        )
        expect(got.endsWith(`: ${encodeQueryParamPart(value)}`)).toBe(true)
        expect(encodeQueryParamPart(value)).toMatch(/^[A-Za-z0-9*\-._%]*$/)
      }),
    )
  })

  it('takes @request-target from the message when given (absolute, authority, asterisk forms)', () => {
    expect(
      line(
        { method: 'OPTIONS', url: 'https://e.com/', requestTarget: '*', headers: [] },
        '@request-target',
      ),
    ).toBe('"@request-target": *')
  })

  it('allows @status on responses only, and request components on responses only with ;req', () => {
    const response: HttpMessage = {
      status: 201,
      headers: [['X', '1']],
      request: request('https://e.com/a'),
    }
    expect(line(response, '@status')).toBe('"@status": 201')
    expect(line(response, '"@method";req')).toBe('"@method";req: POST')
    expect(line(response, '"@authority";req')).toBe('"@authority";req: e.com')
    expect(codeOf(() => line(response, '@method'))).toBe('component_unsupported')
    expect(codeOf(() => line(request('https://e.com/'), '@status'))).toBe('component_unsupported')
    expect(codeOf(() => line(request('https://e.com/', [['x', '1']]), '"x";req'))).toBe(
      'component_unsupported',
    )
    expect(codeOf(() => line({ status: 200, headers: [] }, '"x";req'))).toBe('component_missing')
    expect(codeOf(() => line({ status: 99, headers: [] }, '@status'))).toBe('malformed')
  })
})

describe('field components (RFC 9421 §2.1)', () => {
  it('trims each line, joins repeated lines with ", ", keeps inner whitespace', () => {
    const m = request('https://e.com/', [
      ['Accept', '  a/b  '],
      ['X', 'v'],
      ['accept', '\tc/d'],
    ])
    expect(line(m, 'accept')).toBe('"accept": a/b, c/d')
    expect(line(m, 'Accept')).toBe('"accept": a/b, c/d')
  })

  it('keeps non-ASCII bytes as bytes (latin-1) and trims only SP and HTAB', () => {
    const m = request('https://e.com/', [['x', '\u00a0caf\u00e9\u00a0']])
    const base = createSignatureBase(m, [parseComponentIdentifier('x')], {})
    expect(base.bytes.slice(0, 9)).toEqual(
      Uint8Array.from([0x22, 0x78, 0x22, 0x3a, 0x20, 0xa0, 0x63, 0x61, 0x66]),
    )
    expect(codeOf(() => line(request('https://e.com/', [['x', '\u0100']]), 'x'))).toBe('malformed')
  })

  it('refuses CR, LF and NUL (signature base injection), replaces obs-fold with one space', () => {
    expect(codeOf(() => line(request('https://e.com/', [['x', 'a\n"@method": GET']]), 'x'))).toBe(
      'malformed',
    )
    expect(codeOf(() => line(request('https://e.com/', [['x', 'a\rb']]), 'x'))).toBe('malformed')
    expect(codeOf(() => line(request('https://e.com/', [['x', 'a\0b']]), 'x'))).toBe('malformed')
    expect(line(request('https://e.com/', [['x', 'Obsolete\r\n    line folding.']]), 'x')).toBe(
      '"x": Obsolete line folding.',
    )
  })

  it('reads fields from Headers too (values already joined)', () => {
    const headers = new Headers()
    headers.append('Accept', 'a/b')
    headers.append('Accept', 'c/d')
    headers.set('X-Empty', '')
    const m = request('https://e.com/', headers)
    expect(line(m, 'accept')).toBe('"accept": a/b, c/d')
    expect(line(m, 'x-empty')).toBe('"x-empty": ')
    expect(codeOf(() => line(m, 'x-missing'))).toBe('component_missing')
  })

  it('serialises ;bs per field line', () => {
    const m = request('https://e.com/', [
      ['X', 'a, b'],
      ['X', 'c'],
    ])
    expect(line(m, '"x";bs')).toBe(`"x";bs: :${toBase64(utf8('a, b'))}:, :${toBase64(utf8('c'))}:`)
  })

  it('reads ;key members and strict ;sf, and refuses unknown structured fields', () => {
    const m = request('https://e.com/', [['Content-Digest', 'sha-256=:AAAA:,   sha-512=:AAAA:;x']])
    expect(line(m, '"content-digest";key="sha-512"')).toBe(
      '"content-digest";key="sha-512": :AAAA:;x',
    )
    expect(line(m, '"content-digest";sf')).toBe(
      '"content-digest";sf: sha-256=:AAAA:, sha-512=:AAAA:;x',
    )
    expect(codeOf(() => line(m, '"content-digest";key="md5"'))).toBe('component_missing')
    expect(codeOf(() => line(request('https://e.com/', [['x', 'a=1']]), '"x";sf'))).toBe(
      'component_unsupported',
    )
    expect(
      codeOf(() =>
        line(request('https://e.com/', [['content-digest', '(((']]), '"content-digest";sf'),
      ),
    ).toBe('malformed')
  })
})

describe('component validation', () => {
  it.each([
    ['"x";tr', 'component_unsupported'],
    ['"x";foo', 'component_unsupported'],
    ['"@method";name="a"', 'component_unsupported'],
    ['"@foo"', 'component_unsupported'],
    ['"@signature-params"', 'component_unsupported'],
    ['"x";bs;sf', 'component_unsupported'],
    ['"x";bs;key="a"', 'component_unsupported'],
    ['"x";sf=?0', 'malformed'],
    ['"x";key=1', 'malformed'],
    ['"X-Upper"', 'malformed'],
    ['"a b"', 'malformed'],
  ])('%s -> %s', (id, expected) => {
    expect(codeOf(() => validateComponents([parseComponentIdentifier(id)]))).toBe(expected)
  })

  it('refuses a component listed twice, whatever the parameter order', () => {
    expect(
      codeOf(() => validateComponents(['"x";sf;req', '"x";req;sf'].map(parseComponentIdentifier))),
    ).toBe('malformed')
    expect(
      codeOf(() => validateComponents(['@method', '"@method"'].map(parseComponentIdentifier))),
    ).toBe('malformed')
    expect(codeOf(() => validateComponents(['"x"', '"x";req'].map(parseComponentIdentifier)))).toBe(
      'no error',
    )
  })

  it('refuses identifiers that are not strings', () => {
    expect(codeOf(() => parseComponentIdentifier('"x'))).toBe('malformed')
    expect(codeOf(() => parseSignatureInput('sig1=(x);created=1'))).toBe('malformed')
  })
})

describe('Signature-Input / Signature fields', () => {
  it('type-checks known parameters', () => {
    expect(codeOf(() => parseSignatureInput('sig1=();created="1"'))).toBe('malformed')
    expect(codeOf(() => parseSignatureInput('sig1=();created=-1'))).toBe('malformed')
    expect(codeOf(() => parseSignatureInput('sig1=();created=1.5'))).toBe('malformed')
    expect(codeOf(() => parseSignatureInput('sig1=();keyid=k'))).toBe('malformed')
    expect(codeOf(() => parseSignatureInput('sig1=();nonce'))).toBe('malformed')
    expect(codeOf(() => parseSignatureInput('sig1="x"'))).toBe('malformed')
    expect(parseSignatureInput('sig1=();x=tok;created=1').get('sig1')!.params).toEqual({
      created: 1,
    })
  })

  it('refuses a label named twice (two field lines joined by a comma)', () => {
    expect(codeOf(() => parseSignatureInput('sig1=();created=1, sig1=();created=2'))).toBe(
      'duplicate_header',
    )
    expect(codeOf(() => parseSignature('sig1=:AA==:, sig1=:AQ==:'))).toBe('duplicate_header')
    expect(codeOf(() => parseAcceptSignature('a=(), a=()'))).toBe('duplicate_header')
    expect(parseSignatureInput('sig1=();created=1, sig2=();created=2').size).toBe(2)
  })

  it('refuses Signature members that are not byte sequences', () => {
    expect(codeOf(() => parseSignature('sig1="abc"'))).toBe('malformed')
    expect(codeOf(() => parseSignature('sig1=(:AA==:)'))).toBe('malformed')
    expect(codeOf(() => parseSignature('not a dictionary ('))).toBe('malformed')
  })

  it('serialises entries and refuses bad labels', () => {
    const base = createSignatureBase(
      request('https://e.com/'),
      [parseComponentIdentifier('@method')],
      {
        created: 1,
        keyid: 'k',
      },
    )
    const out = serializeSignatures([
      { label: 'sig1', innerList: base.innerList, signature: Uint8Array.of(1, 2, 3) },
    ])
    expect(out).toEqual({
      signatureInput: 'sig1=("@method");created=1;keyid="k"',
      signature: 'sig1=:AQID:',
    })
    expect(() =>
      serializeSignatures([
        { label: 'Sig', innerList: base.innerList, signature: new Uint8Array() },
      ]),
    ).toThrow(TypeError)
    expect(() =>
      serializeSignatures([
        { label: 'a', innerList: base.innerList, signature: new Uint8Array() },
        { label: 'a', innerList: base.innerList, signature: new Uint8Array() },
      ]),
    ).toThrow(TypeError)
  })

  it('writes the parameters text that was signed, however many bases were built since', () => {
    const params = new Map<string, string | number>([
      ['created', 1],
      ['nonce', 'signed'],
    ])
    const first = createSignatureBase(
      request('https://e.com/'),
      [parseComponentIdentifier('@method')],
      params,
    )
    expect(first.signatureParams).toBe('("@method");created=1;nonce="signed"')
    // Many other messages signed meanwhile (a signer awaiting its key), and the caller's map
    // changed afterwards: the field still carries what the base said.
    for (let i = 0; i < 100; i++) {
      createSignatureBase(request('https://e.com/'), [parseComponentIdentifier('@method')], {
        created: i,
      })
    }
    params.set('nonce', 'changed')
    const out = serializeSignatures([
      { label: 'sig1', innerList: first.innerList, signature: Uint8Array.of(1) },
    ])
    expect(out.signatureInput).toBe(`sig1=${first.signatureParams}`)
    // An inner list it did not build is serialised as it stands.
    const own = serializeSignatures([
      { label: 'sig1', innerList: [[['@method', new Map()]], params], signature: Uint8Array.of(1) },
    ])
    expect(own.signatureInput).toBe('sig1=("@method");created=1;nonce="changed"')
  })

  it('refuses non-ASCII or negative signature parameters when building', () => {
    const m = request('https://e.com/')
    expect(codeOf(() => createSignatureBase(m, [], { keyid: 'k\u00e9' }))).toBe('malformed')
    expect(codeOf(() => createSignatureBase(m, [], { created: -5 }))).toBe('malformed')
  })

  it('property: dictionaryMemberKeys finds every key the parser does, in order', () => {
    const key = fc.stringMatching(/^[a-z*][a-z0-9_.*-]{0,8}$/)
    const bare = fc.oneof(
      fc.integer({ min: -1000, max: 1000 }),
      fc.stringMatching(/^[ !#-[\]-~"\\,()]{0,10}$/),
      fc.boolean(),
      fc.constantFrom(new Token('tok'), new Token('a:b/c')),
    )
    const params = fc.uniqueArray(fc.tuple(key, bare), { selector: ([k]) => k, maxLength: 3 })
    const member = fc.oneof(
      fc.tuple(bare, params).map(([v, p]) => [v, new Map(p)] as const),
      fc
        .tuple(fc.array(fc.tuple(bare, params), { maxLength: 3 }), params)
        .map(([items, p]) => [items.map(([v, ip]) => [v, new Map(ip)]), new Map(p)] as const),
    )
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, member), { selector: ([k]) => k, minLength: 1, maxLength: 5 }),
        (entries) => {
          // biome-ignore lint/suspicious/noExplicitAny: building arbitrary structured values
          const text = serializeDictionary(new Map(entries as any))
          expect(dictionaryMemberKeys(text)).toEqual([...parseDictionary(text).keys()])
          expect(dictionaryMemberKeys(`${text}, ${text}`)).toHaveLength(entries.length * 2)
        },
      ),
    )
  })
})

describe('Signature-Input component lists shared between messages', () => {
  it('parses the same list once: frozen identifiers, read-only parameters, fresh parameters per message', () => {
    const a = parseSignatureInput('sig1=("@method" "content-digest";req "x");created=1;nonce="a"')
    const b = parseSignatureInput('sig9=("@method" "content-digest";req "x");created=2;nonce="b"')
    const first = a.get('sig1')!
    const second = b.get('sig9')!
    expect(second.components).toBe(first.components)
    expect(Object.isFrozen(first.components)).toBe(true)
    expect(first.components.map((c) => c.id)).toEqual(['"@method"', '"content-digest";req', '"x"'])
    const params = first.components[1]!.params as Map<string, unknown>
    expect(() => params.set('sf', true)).toThrow(TypeError)
    expect(() => params.delete('req')).toThrow(TypeError)
    expect(first.params).toEqual({ created: 1, nonce: 'a' })
    expect(second.params).toEqual({ created: 2, nonce: 'b' })
    expect(second.innerList[1]).not.toBe(first.innerList[1])
  })

  it('still refuses an invalid shared list every time', () => {
    for (let i = 0; i < 3; i++) {
      const member = parseSignatureInput(`sig1=("@method" "@nope");created=${i}`).get('sig1')!
      expect(codeOf(() => validateComponents(member.components))).toBe('component_unsupported')
      expect(
        codeOf(() => createSignatureBase(request('https://e.com/'), member.components, {})),
      ).toBe('component_unsupported')
    }
    for (let i = 0; i < 3; i++) {
      expect(codeOf(() => parseSignatureInput(`sig1=("@method" 1);created=${i}`))).toBe('malformed')
    }
  })

  it('builds the same base from a shared list as from a fresh one', () => {
    const message = request('https://e.com/a?b=c', [
      ['Content-Type', 'text/plain'],
      ['Content-Digest', 'sha-256=:AAAA:,  md5=?1'],
      ['X-A', ' one '],
      ['x-a', 'two'],
    ])
    const value =
      'sig1=("@method" "@path" "x-a" "content-type" "content-digest";sf);created=5;keyid="k"'
    for (let i = 0; i < 3; i++) {
      const member = parseSignatureInput(value).get('sig1')!
      const fresh = [...member.components].map((c) => createComponentIdentifier(c.name, c.params))
      expect(createSignatureBase(message, member.components, member.innerList[1]).text).toBe(
        createSignatureBase(message, fresh, member.innerList[1]).text,
      )
    }
  })
})

describe('field lines', () => {
  it('matches names as toLowerCase does, for few and many lines', () => {
    const odd: [string, string][] = [
      ['\u212Aey', 'kelvin'],
      ['KEY', 'upper'],
      ['\u0130x', 'dotted'],
      ['ix', 'plain'],
    ]
    for (const extra of [0, 40]) {
      const lines: [string, string][] = [...odd]
      for (let i = 0; i < extra; i++) {
        lines.push([`X-F${i}`, `v${i}`])
      }
      const m = request('https://e.com/', lines)
      expect(line(m, 'key')).toBe('"key": kelvin, upper')
      expect(line(m, 'ix')).toBe('"ix": plain')
    }
  })

  it('groups many lines by lowercased name, in order', () => {
    const lines: [string, string][] = []
    for (let i = 0; i < 40; i++) {
      lines.push([`X-F${i}`, `v${i}`])
    }
    lines.push(['x-f3', 'again'], ['X-F39', 'last'])
    const components = ['x-f0', 'x-f3', 'x-f25', 'x-f39'].map(parseComponentIdentifier)
    const base = createSignatureBase(request('https://e.com/', lines), components, {})
    expect(base.text.split('\n').slice(0, 4)).toEqual([
      '"x-f0": v0',
      '"x-f3": v3, again',
      '"x-f25": v25',
      '"x-f39": v39, last',
    ])
    expect(
      codeOf(() =>
        createSignatureBase(
          request('https://e.com/', lines),
          [parseComponentIdentifier('x-f40')],
          {},
        ),
      ),
    ).toBe('component_missing')
  })
})

describe('Content-Digest (RFC 9530)', () => {
  const body = utf8('{"hello": "world"}')

  it('gives the same answers hashing synchronously (node) and asynchronously (web)', async () => {
    const good = await createContentDigest(body, 'sha-512')
    for (const value of [
      good,
      `sha-256=:${toBase64(new Uint8Array(32))}:`,
      'md5=:AAAA:',
      'sha-256=:AAAA',
      `${good}, ${good}`,
    ]) {
      const results = await Promise.all(
        [nodeBackend, webBackend].map((backend) =>
          verifyContentDigest(value, body, { backend }).then(
            (ok) => ({ ok }),
            (error: { code?: string }) => ({ code: error.code }),
          ),
        ),
      )
      expect(results[0]).toEqual(results[1])
    }
    expect(await createContentDigest(body, 'sha-256', { backend: nodeBackend })).toBe(
      await createContentDigest(body, 'sha-256', { backend: webBackend }),
    )
    await expect(verifyContentDigest(good, 'x' as never, { backend: nodeBackend })).rejects.toThrow(
      TypeError,
    )
  })

  it('takes the digest already encoded when the provider offers it', async () => {
    const provider = {
      digest: async () => new Uint8Array(32),
      digestSync: () => new Uint8Array(32),
      digestBase64Sync: (algorithm: string, data: Uint8Array) => `${algorithm}:${data.length}`,
    }
    expect(await createContentDigest(body, 'sha-256', { backend: provider })).toBe(
      `sha-256=:sha-256:${body.length}:`,
    )
    // Several algorithms go through digest(), one at a time.
    expect(await createContentDigest(body, ['sha-256'], { backend: provider })).toBe(
      `sha-256=:${toBase64(new Uint8Array(32))}:`,
    )
  })

  it('defaults to sha-256 and refuses unsupported algorithms on create', async () => {
    expect(await createContentDigest(body)).toBe(
      'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
    )
    await expect(createContentDigest(body, 'md5' as never)).rejects.toThrow(TypeError)
    await expect(createContentDigest('x' as never)).rejects.toThrow(TypeError)
  })

  it('ignores unknown algorithms, requires a supported one, checks every supported one', async () => {
    const good = await createContentDigest(body, 'sha-256')
    expect(await verifyContentDigest(`md5=:AAAA:, unknown=?1, ${good}`, body)).toEqual(['sha-256'])
    await expect(verifyContentDigest('md5=:Sd/dVLAcvNLSq16eXua5uQ==:', body)).rejects.toMatchObject(
      {
        code: 'digest_mismatch',
      },
    )
    const wrong512 = `${good}, sha-512=:${toBase64(new Uint8Array(64))}:`
    await expect(verifyContentDigest(wrong512, body)).rejects.toMatchObject({
      code: 'digest_mismatch',
    })
    expect(await verifyContentDigest(wrong512, body, { algorithms: ['sha-256'] })).toEqual([
      'sha-256',
    ])
  })

  it('refuses a malformed value, a non-byte supported member, and duplicate algorithms', async () => {
    await expect(verifyContentDigest('sha-256=:AAAA', body)).rejects.toMatchObject({
      code: 'malformed',
    })
    await expect(verifyContentDigest('sha-256="abc"', body)).rejects.toMatchObject({
      code: 'malformed',
    })
    const good = await createContentDigest(body)
    expect(codeOf(() => parseContentDigest(`${good}, ${good}`))).toBe('duplicate_header')
  })
})
