import { describe, expect, it } from 'vitest'
import { hasTopLevelComma, isTwoCredentials } from './fields.ts'

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
