import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { timingSafeEqual } from './timing-safe-equal.ts'

describe('timingSafeEqual', () => {
  it('is true for equal arrays, including empty ones and different views', () => {
    expect(timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true)
    expect(timingSafeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true)
    const big = Uint8Array.of(9, 1, 2, 3, 9)
    expect(timingSafeEqual(big.subarray(1, 4), Uint8Array.of(1, 2, 3))).toBe(true)
  })

  it('is false for any difference in content', () => {
    expect(timingSafeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false)
    expect(timingSafeEqual(Uint8Array.of(0, 2, 3), Uint8Array.of(1, 2, 3))).toBe(false)
    expect(timingSafeEqual(Uint8Array.of(0x80), Uint8Array.of(0))).toBe(false)
  })

  it('is false on length mismatch, even when one is a prefix of the other', () => {
    expect(timingSafeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2))).toBe(false)
    expect(timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false)
    expect(timingSafeEqual(new Uint8Array(0), Uint8Array.of(0))).toBe(false)
    expect(timingSafeEqual(Uint8Array.of(0), new Uint8Array(0))).toBe(false)
  })

  it('agrees with a plain comparison (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
        const expected = a.length === b.length && a.every((v, i) => v === b[i])
        expect(timingSafeEqual(a, b)).toBe(expected)
        expect(timingSafeEqual(a, a.slice())).toBe(true)
      }),
    )
  })

  it('rejects non-Uint8Array arguments with TypeError', () => {
    expect(() => timingSafeEqual('abc' as never, Uint8Array.of(1))).toThrow(TypeError)
    expect(() => timingSafeEqual(Uint8Array.of(1), [1] as never)).toThrow(TypeError)
  })
})
