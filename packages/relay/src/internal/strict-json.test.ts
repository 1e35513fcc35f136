import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jsonDepth, parseStrictJson } from './strict-json.ts'

describe('parseStrictJson', () => {
  it('parses ordinary JSON', () => {
    expect(parseStrictJson('{"a":[1,{"b":"[{"}]}', 8)).toEqual({ a: [1, { b: '[{' }] })
  })

  it('counts depth outside strings only, with escapes', () => {
    expect(jsonDepth('{"a":"[[[[\\"[["}', 10)).toBe(1)
    expect(jsonDepth('[[[]]]', 10)).toBe(3)
    expect(jsonDepth('['.repeat(1_000_000), 64)).toBe(65)
  })

  it('refuses deep nesting before parsing and forbidden keys anywhere', () => {
    expect(() => parseStrictJson(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 32)).toThrow(
      expect.objectContaining({ code: 'malformed' }),
    )
    for (const text of [
      '{"__proto__":1}',
      '[{"a":{"constructor":1}}]',
      '{"x":[[{"prototype":{}}]]}',
    ]) {
      expect(() => parseStrictJson(text, 32), text).toThrow(
        expect.objectContaining({ code: 'malformed' }),
      )
    }
    expect(() => parseStrictJson('{"a":', 32)).toThrow(
      expect.objectContaining({ code: 'invalid_json' }),
    )
  })

  it('either parses or throws a coded error, for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseStrictJson(text, 16)
        } catch (error) {
          expect(['malformed', 'invalid_json']).toContain((error as { code: string }).code)
        }
      }),
    )
  })
})
