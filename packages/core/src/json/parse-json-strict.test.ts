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

/** Whether every number in `value` is one the I-JSON policy accepts. */
const numbersInRange = (value: unknown): boolean => {
  if (typeof value === 'number') {
    const m = Math.abs(value)
    return m <= Number.MAX_SAFE_INTEGER && (m === 0 || m >= 2.2250738585072014e-308)
  }
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).every(numbersInRange)
  }
  return true
}

describe('parseJsonStrict', () => {
  it('parses what JSON.parse parses, for ordinary documents', () => {
    const samples = [
      '{}',
      '[]',
      '{"a":1,"b":[true,false,null],"c":{"d":"e\\n\\u00e9\\ud83d\\ude00"}}',
      ' [1, -2.5e3, 0.001, 1E+2, 0] ',
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
        if (!numbersInRange(value)) {
          expect(['malformed', 'invalid_json']).toContain(code(() => parseJsonStrict(text)))
        } else if (hasForbidden) {
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

describe('parseJsonStrict numbers (I-JSON, RFC 7493 §2.2)', () => {
  const refused = (text: string): string | undefined =>
    code(() => parseJsonStrict(`{"amount":${text}}`))

  it('refuses integers beyond ±(2^53 − 1), however they are written', () => {
    const cases = [
      '12345678901234567890',
      '-12345678901234567890',
      '9007199254740992',
      '-9007199254740992',
      '9007199254740993',
      '18446744073709551616',
      '12345678901234567890.0',
      '1.2345678901234567890e19',
      '1e16',
      '-1E+16',
      '10000000000000000',
      '90071992547409920e-1',
      '9007199254740991.5',
    ]
    for (const text of cases) {
      expect(refused(text), text).toBe('invalid_json')
    }
    expect(parseJsonStrict('[9007199254740991,-9007199254740991]')).toEqual([
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
    ])
    expect(parseJsonStrict('[9007199254740991e0, 90071992547409910e-1]')).toEqual([
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
    ])
  })

  it('refuses numbers that overflow, whatever the sign or exponent form', () => {
    for (const text of [
      '1e400',
      '-1e400',
      '1E309',
      '1.7976931348623157e308',
      '1.5e300',
      '1e+999999999',
    ]) {
      expect(refused(text), text).toBe('invalid_json')
    }
  })

  it('refuses more precision than a double carries', () => {
    for (const text of [
      '3.141592653589793238462643383279',
      '0.30000000000000000000001',
      '1.00000000000000000001',
      '-0.123456789012345678',
      '123456789012345678e-10',
    ]) {
      expect(refused(text), text).toBe('invalid_json')
    }
    // 17 significant digits are fine; zeros around the digits do not count.
    expect(
      parseJsonStrict('[0.12345678901234567, 1.50000000000000000000, 0.000000000000000000001]'),
    ).toEqual([Number('0.12345678901234567'), 1.5, 1e-21])
  })

  it('refuses nonzero numbers below the smallest normal double', () => {
    for (const text of ['1e-400', '-1e-400', '5e-324', '1e-310', `0.${'0'.repeat(400)}1`]) {
      expect(refused(text), text).toBe('invalid_json')
    }
    expect(parseJsonStrict('[2.2250738585072014e-308, 0e-999, 0.000]')).toEqual([
      2.2250738585072014e-308, 0, 0,
    ])
  })

  it('accepts ordinary doubles and reads -0 as 0', () => {
    expect(parseJsonStrict('[0.1, -2.5e3, 1e15, 6.02e-23, 12.5, 1E2]')).toEqual([
      0.1, -2.5e3, 1e15, 6.02e-23, 12.5, 100,
    ])
    for (const text of ['-0', '-0.0', '-0e5', '-0E-5']) {
      expect(Object.is(parseJsonStrict(text), 0), text).toBe(true)
    }
  })

  it('names the problem and the offset in the message', () => {
    expect(() => parseJsonStrict('{"amount":90071992547409920}')).toThrow(
      'invalid JSON: number out of range (beyond ±(2^53 − 1)) at offset 10',
    )
    expect(() => parseJsonStrict('[3.141592653589793238]')).toThrow(
      'invalid JSON: number has more than 17 significant digits at offset 1',
    )
  })

  it('stays linear on huge digit strings', () => {
    // A million digits each way: refused or parsed in one pass (a quadratic path would not finish).
    const digits = '1'.repeat(1_000_000)
    expect(refused(digits)).toBe('invalid_json')
    expect(refused(`0.${digits}`)).toBe('invalid_json')
    expect(refused(`1e${'9'.repeat(1_000_000)}`)).toBe('invalid_json')
    expect(parseJsonStrict(`[1${'0'.repeat(1_000_000)}e-1000000]`)).toEqual([1])
    expect(parseJsonStrict(`[${'1,'.repeat(200_000)}1]`)).toHaveLength(200_001)
  })

  it('ignores numbers as object keys', () => {
    expect(parseJsonStrict('{"12345678901234567890":1}')).toEqual({ '12345678901234567890': 1 })
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
