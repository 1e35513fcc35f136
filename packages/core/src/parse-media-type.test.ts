import { describe, expect, it } from 'vitest'
import { parseMediaType } from './parse-media-type.ts'

describe('parseMediaType', () => {
  it('lowercases the essence and parameter names, unquotes values', () => {
    const type = parseMediaType(' Application/JSON ; Charset="UTF-8"; q=1')
    expect(type?.essence).toBe('application/json')
    expect([...(type?.params ?? [])]).toEqual([
      ['charset', 'UTF-8'],
      ['q', '1'],
    ])
  })

  it('is undefined when absent or without an essence', () => {
    expect(parseMediaType(null)).toBeUndefined()
    expect(parseMediaType('')).toBeUndefined()
    expect(parseMediaType(' ; charset=utf-8')).toBeUndefined()
  })

  it('keeps a parameter without = as an empty value and skips empty ones', () => {
    expect([...(parseMediaType('text/plain; ; flag;')?.params ?? [])]).toEqual([['flag', '']])
    expect(parseMediaType('text/plain; charset=utf-8=x')?.params.get('charset')).toBe('utf-8=x')
  })

  it('refuses a parameter named twice, in any case', () => {
    expect(parseMediaType('application/json; charset=latin1; charset=utf-8')).toBeUndefined()
    expect(parseMediaType('application/json; charset=utf-8; CHARSET=utf-8')).toBeUndefined()
  })
})
