import { describe, expect, it } from 'vitest'
import { toStrictJson } from './json.ts'

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
