import { describe, expect, it } from 'vitest'
import { fieldsFrom, hasTopLevelComma, isTwoCredentials } from './fields.ts'

describe('isTwoCredentials', () => {
  it.each([
    ['KEY', false],
    ['Bearer abc', false],
    ['Digest username="a, b", realm="x", nonce="n"', false],
    ['Digest realm = "x", qop=auth', false],
    ['KEY1, KEY2', true],
    ['Bearer abc, Bearer def', true],
    ['Basic dXNlcjpwYXNz, Basic b3RoZXI=', true],
    ['Bearer abc, def', true],
    ['Digest realm="x", Bearer abc', true],
  ])('%s -> %s', (value, expected) => {
    expect(isTwoCredentials(value)).toBe(expected)
  })
})

describe('hasTopLevelComma', () => {
  it.each([
    ['application/json', false],
    ['multipart/form-data; boundary="a,b"', false],
    ['text/plain; x="a\\",b"', false],
    ['application/json, text/plain', true],
    ['text/plain; charset=utf-8, application/json', true],
  ])('%s -> %s', (value, expected) => {
    expect(hasTopLevelComma(value)).toBe(expected)
  })
})

describe('fieldsFrom (field lines)', () => {
  it('joins repeated fields and refuses a second line of a single field, few or many lines', () => {
    for (const extra of [0, 40]) {
      const lines: [string, string][] = []
      for (let i = 0; i < extra; i++) {
        lines.push([`X-F${i}`, ` v${i} `])
      }
      lines.push(['Accept', 'a'], ['Content-Type', 'text/plain'], ['accept', ' b'])
      const fields = fieldsFrom(lines)
      expect(fields.get('accept')).toBe('a, b')
      expect(fields.get('content-type')).toBe('text/plain')
      expect(fields.get('signature')).toBeNull()
      if (extra > 0) {
        expect(fields.get('x-f0')).toBe('v0')
        expect(fields.get(`x-f${extra - 1}`)).toBe(`v${extra - 1}`)
      }
      expect(fields.source).toBe(lines)
      expect(() => fieldsFrom([...lines, ['CONTENT-TYPE', 'text/html']])).toThrow(
        expect.objectContaining({ code: 'duplicate_header' }),
      )
      expect(() => fieldsFrom([...lines, ['x', 1 as unknown as string]])).toThrow(TypeError)
    }
  })

  it('matches names as toLowerCase does', () => {
    const fields = fieldsFrom([
      ['\u212Aey', 'kelvin'],
      ['KEY', 'upper'],
      ['\u0130x', 'dotted'],
      ['ix', 'plain'],
      ['HOST', 'a'],
    ])
    expect(fields.get('key')).toBe('kelvin, upper')
    expect(fields.get('ix')).toBe('plain')
    expect(fields.get('i\u0307x')).toBe('dotted')
    expect(() =>
      fieldsFrom(
        [
          ['\u212A', 'a'],
          ['k', 'b'],
        ],
        ['k'],
      ),
    ).toThrow(expect.objectContaining({ code: 'duplicate_header' }))
    expect(() =>
      fieldsFrom([
        ['Host', 'a'],
        ['hOST', 'b'],
      ]),
    ).toThrow(expect.objectContaining({ code: 'duplicate_header' }))
  })

  it('reads names case-insensitively and leaves odd names apart', () => {
    const fields = fieldsFrom([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['SIGNATURE', 'sig1=:AA==:'],
    ])
    expect(fields.get('__proto__')).toBe('p')
    expect(fields.get('constructor')).toBe('c')
    expect(fields.get('signature')).toBe('sig1=:AA==:')
    expect(fields.get('toString')).toBeNull()
  })
})
