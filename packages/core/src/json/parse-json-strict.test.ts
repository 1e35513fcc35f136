import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isJsonObject, parseJsonStrict } from './parse-json-strict.ts'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (error) {
    return (error as { code?: string }).code
  }
}

describe('parseJsonStrict', () => {
  it('parses what JSON.parse parses, for ordinary documents', () => {
    const samples = [
      '{}',
      '[]',
      '{"a":1,"b":[true,false,null],"c":{"d":"e\\n\\u00e9\\ud83d\\ude00"}}',
      ' [1, -2.5e3, 0.001, 1E+2, -0] ',
      '"plain"',
      '42',
      '{"nested":[[[{"x":[]}]]]}',
    ]
    for (const text of samples) {
      expect(parseJsonStrict(text)).toEqual(JSON.parse(text))
    }
  })

  it('agrees with JSON.parse on random JSON without duplicate keys', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value)
        let expected: unknown
        try {
          expected = JSON.parse(text)
        } catch {
          return
        }
        const hasForbidden = /"(__proto__|constructor|prototype)":/.test(text)
        if (hasForbidden) {
          expect(code(() => parseJsonStrict(text))).toBe('malformed')
        } else {
          expect(parseJsonStrict(text)).toEqual(expected)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('rejects forbidden keys anywhere', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(code(() => parseJsonStrict(`{"${key}":{}}`))).toBe('malformed')
      expect(code(() => parseJsonStrict(`{"a":[{"${key}":1}]}`))).toBe('malformed')
      expect(code(() => parseJsonStrict(`{"a":[{"\\u005f_proto__":1}]}`))).toBe('malformed')
    }
  })

  it('rejects duplicate keys', () => {
    expect(code(() => parseJsonStrict('{"a":1,"a":2}'))).toBe('invalid_json')
    expect(code(() => parseJsonStrict('{"a":1,"\\u0061":2}'))).toBe('invalid_json')
    expect(parseJsonStrict('{"a":{"a":1}}')).toEqual({ a: { a: 1 } })
  })

  it('rejects nesting deeper than the limit without recursion', () => {
    expect(code(() => parseJsonStrict('['.repeat(33) + ']'.repeat(33)))).toBe('malformed')
    expect(parseJsonStrict('['.repeat(32) + ']'.repeat(32))).toBeDefined()
    // 100k and 1M deep: must fail fast with a code, not overflow the stack.
    expect(code(() => parseJsonStrict('['.repeat(100_000)))).toBe('malformed')
    expect(code(() => parseJsonStrict('['.repeat(1_000_000), { maxDepth: 64 }))).toBe('malformed')
    expect(code(() => parseJsonStrict('{"a":'.repeat(100_000)))).toBe('malformed')
    expect(() => parseJsonStrict(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toThrow(
      expect.objectContaining({ code: 'malformed', message: 'JSON nested deeper than 32 levels' }),
    )
    expect(parseJsonStrict('[[[1]]]', { maxDepth: 3 })).toEqual([[[1]]])
    expect(code(() => parseJsonStrict('[[[1]]]', { maxDepth: 2 }))).toBe('malformed')
  })

  it('counts depth outside strings only, with escapes', () => {
    expect(parseJsonStrict('{"a":[1,{"b":"[{"}]}', { maxDepth: 3 })).toEqual({
      a: [1, { b: '[{' }],
    })
    expect(parseJsonStrict('{"a":"[[[[\\"[["}', { maxDepth: 1 })).toEqual({ a: '[[[["[[' })
    expect(code(() => parseJsonStrict('[[[]]]', { maxDepth: 2 }))).toBe('malformed')
  })

  it('refuses text longer than maxLength', () => {
    expect(parseJsonStrict('[1]', { maxLength: 3 })).toEqual([1])
    expect(code(() => parseJsonStrict('[1] ', { maxLength: 3 }))).toBe('malformed')
  })

  it('rejects non-string input with a TypeError', () => {
    expect(() => parseJsonStrict(1 as unknown as string)).toThrow(TypeError)
  })

  it('rejects syntax errors, lone surrogates and overflowing numbers', () => {
    const bad = [
      '',
      ' ',
      '{',
      '{"a"}',
      '{"a":}',
      '{"a":1,}',
      '[1,]',
      '[1 2]',
      "{'a':1}",
      '{a:1}',
      '01',
      '1.',
      '.5',
      '+1',
      '-',
      '1e',
      'NaN',
      'Infinity',
      'tru',
      'nul',
      '"\\x"',
      '"\\u12"',
      '"a\nb"',
      '"unterminated',
      '{"a":1}x',
      '{"a":1}{}',
      '"\\ud800"',
      '"\\udc00x"',
      '1e400',
      '[1]]',
      '\u00a0{}',
    ]
    for (const text of bad) {
      expect(
        code(() => parseJsonStrict(text)),
        text,
      ).toBe('invalid_json')
    }
  })

  it('either parses or throws a coded error, for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 64 }), fc.json()), (text) => {
        try {
          parseJsonStrict(text, { maxDepth: 16 })
        } catch (error) {
          expect(['invalid_json', 'malformed']).toContain((error as { code?: string }).code)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('uses invalid_json for syntax and malformed for policy', () => {
    expect(code(() => parseJsonStrict('{"a":'))).toBe('invalid_json')
    expect(code(() => parseJsonStrict('{"x":[[{"prototype":{}}]]}'))).toBe('malformed')
  })

  it('returns objects whose prototype is untouched', () => {
    const value = parseJsonStrict('{"a":{"b":1}}') as Record<string, unknown>
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).b).toBeUndefined()
  })
})

describe('isJsonObject', () => {
  it('accepts objects only', () => {
    expect(isJsonObject({})).toBe(true)
    expect(isJsonObject([])).toBe(false)
    expect(isJsonObject(null)).toBe(false)
    expect(isJsonObject('x')).toBe(false)
  })
})
