import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseJson, toStrictJson } from './json.ts'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (error) {
    return (error as { code?: string }).code
  }
}

describe('parseJson', () => {
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
      expect(parseJson(text)).toEqual(JSON.parse(text))
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
          expect(code(() => parseJson(text))).toBe('invalid_json')
        } else {
          expect(parseJson(text)).toEqual(expected)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('rejects forbidden keys anywhere', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(code(() => parseJson(`{"${key}":{}}`))).toBe('invalid_json')
      expect(code(() => parseJson(`{"a":[{"${key}":1}]}`))).toBe('invalid_json')
      expect(code(() => parseJson(`{"a":[{"\\u005f_proto__":1}]}`))).toBe('invalid_json')
    }
  })

  it('rejects duplicate keys', () => {
    expect(code(() => parseJson('{"a":1,"a":2}'))).toBe('invalid_json')
    expect(code(() => parseJson('{"a":1,"\\u0061":2}'))).toBe('invalid_json')
    expect(parseJson('{"a":{"a":1}}')).toEqual({ a: { a: 1 } })
  })

  it('rejects nesting deeper than the limit without recursion', () => {
    expect(code(() => parseJson('['.repeat(33) + ']'.repeat(33)))).toBe('invalid_json')
    expect(parseJson('['.repeat(32) + ']'.repeat(32))).toBeDefined()
    // 100k deep: must fail fast with a code, not overflow the stack.
    expect(code(() => parseJson('['.repeat(100_000)))).toBe('invalid_json')
    expect(code(() => parseJson('{"a":'.repeat(100_000)))).toBe('invalid_json')
    expect(parseJson('[[[1]]]', { maxDepth: 3 })).toEqual([[[1]]])
    expect(code(() => parseJson('[[[1]]]', { maxDepth: 2 }))).toBe('invalid_json')
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
        code(() => parseJson(text)),
        text,
      ).toBe('invalid_json')
    }
  })

  it('never throws anything but invalid_json on random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => {
        try {
          parseJson(text)
        } catch (error) {
          expect((error as { code?: string }).code).toBe('invalid_json')
        }
      }),
      { numRuns: 500 },
    )
  })

  it('returns objects whose prototype is untouched', () => {
    const value = parseJson('{"a":{"b":1}}') as Record<string, unknown>
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).b).toBeUndefined()
  })
})

describe('toStrictJson', () => {
  it('accepts plain data and refuses the rest', () => {
    expect(toStrictJson({ a: [1, 'x'] }, 'params', 100).value).toEqual({ a: [1, 'x'] })
    expect(() => toStrictJson({ a: 'x'.repeat(200) }, 'params', 100)).toThrow(RangeError)
    expect(() => toStrictJson(JSON.parse('{"__proto__":{"x":1}}'), 'params', 100)).toThrow(
      TypeError,
    )
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => toStrictJson(cyclic, 'params', 100)).toThrow(TypeError)
    expect(() => toStrictJson(() => 1, 'params', 100)).toThrow(TypeError)
    expect(() => toStrictJson({ n: 10n }, 'params', 100)).toThrow(TypeError)
  })
})
