import { describe, expect, it } from 'vitest'
import { fromBase64Url } from '../encoding.ts'
import { generateNonce, randomBytes } from './random.ts'

describe('randomBytes', () => {
  it('returns the requested number of bytes', () => {
    for (const n of [0, 1, 16, 32, 65_535, 65_536, 65_537, 200_000]) {
      const out = randomBytes(n)
      expect(out).toBeInstanceOf(Uint8Array)
      expect(out.length).toBe(n)
    }
  })

  it('fills every chunk of a large request (no zeroed tail past 64 KiB)', () => {
    const out = randomBytes(3 * 65_536 + 10)
    for (let chunk = 0; chunk < 4; chunk++) {
      const part = out.subarray(chunk * 65_536, Math.min((chunk + 1) * 65_536, out.length))
      expect(part.some((b) => b !== 0)).toBe(true)
    }
    // The final 10 bytes are random too (all-zero has probability 2^-80).
    expect(out.subarray(out.length - 10).some((b) => b !== 0)).toBe(true)
  })

  it('does not repeat', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      seen.add(randomBytes(16).join(','))
    }
    expect(seen.size).toBe(1000)
  })

  it('looks uniform (every byte value appears in 64 KiB)', () => {
    const counts = new Uint32Array(256)
    for (const b of randomBytes(65_536)) {
      counts[b]!++
    }
    // Expected 256 per value; a value under 128 or over 400 would be wildly improbable.
    expect(Math.min(...counts)).toBeGreaterThan(128)
    expect(Math.max(...counts)).toBeLessThan(400)
  })

  it('rejects bad lengths with RangeError', () => {
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '8' as never]) {
      expect(() => randomBytes(n)).toThrow(RangeError)
    }
  })
})

describe('generateNonce', () => {
  it('defaults to 16 random bytes as unpadded base64url', () => {
    const nonce = generateNonce()
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(fromBase64Url(nonce).length).toBe(16)
  })

  it('takes a byte count and never repeats', () => {
    expect(fromBase64Url(generateNonce(32)).length).toBe(32)
    expect(fromBase64Url(generateNonce(8)).length).toBe(8)
    const seen = new Set(Array.from({ length: 1000 }, () => generateNonce()))
    expect(seen.size).toBe(1000)
  })

  it('refuses nonces under 8 bytes', () => {
    for (const n of [0, 4, 7, 8.5, -16]) {
      expect(() => generateNonce(n)).toThrow(RangeError)
    }
  })
})
