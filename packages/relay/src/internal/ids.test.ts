import { describe, expect, it } from 'vitest'
import { isoNow } from './iso-now.ts'
import { randomId } from './random-id.ts'

describe('randomId', () => {
  it('gives 16 base64url characters, never the same twice across pool refills', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) {
      const id = randomId()
      expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/)
      seen.add(id)
    }
    expect(seen.size).toBe(2000)
  })
})

describe('isoNow', () => {
  it('is the current time as Date#toISOString writes it', () => {
    const before = Date.now()
    const text = isoNow()
    const after = Date.now()
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(Date.parse(text)).toBeGreaterThanOrEqual(before)
    expect(Date.parse(text)).toBeLessThanOrEqual(after)
    expect(new Date(Date.parse(text)).toISOString()).toBe(text)
  })
})
