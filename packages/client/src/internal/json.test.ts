import { describe, expect, it } from 'vitest'
import { assertJson, isJsonType, parseBody } from './json.ts'
import { asProblem, safeText } from './problem.ts'

describe('assertJson', () => {
  it('accepts JSON values, Dates, undefined members and shared (acyclic) objects', () => {
    const shared = { x: 1 }
    for (const value of [
      null,
      true,
      0,
      -1.5,
      'text',
      [],
      {},
      { a: [1, { b: null }], c: undefined, d: new Date(0) },
      Object.create(null),
      [shared, shared],
    ]) {
      expect(() => assertJson(value, 'data')).not.toThrow()
    }
  })

  it('names the first part JSON cannot represent', () => {
    expect(() => assertJson(undefined, 'data')).toThrow('data is undefined')
    expect(() => assertJson({ a: { b: [0, Infinity] } }, 'data')).toThrow('data.a.b[1] is Infinity')
    expect(() => assertJson(new Date(Number.NaN), 'data')).toThrow('invalid Date')
    expect(() => assertJson(new (class Point {})(), 'data')).toThrow('data is a Point')
    expect(() => assertJson([undefined], 'data')).toThrow('data[0] is undefined')
    let deep: unknown = 1
    for (let i = 0; i < 300; i++) {
      deep = [deep]
    }
    expect(() => assertJson(deep, 'data')).toThrow(/nested more than 256/)
  })
})

describe('parseBody', () => {
  it('parses JSON types, keeps text, and maps empty to null', () => {
    expect(parseBody('{"a":1}', 'application/json; charset=utf-8')).toEqual({ a: 1 })
    expect(parseBody('{"a":1}', 'application/problem+json')).toEqual({ a: 1 })
    expect(parseBody('{"a":1}', 'text/plain')).toBe('{"a":1}')
    expect(parseBody('not json', 'application/json')).toBe('not json')
    expect(parseBody('', 'application/json')).toBeNull()
    expect(isJsonType(null)).toBe(false)
    expect(isJsonType('application/vnd.api+json')).toBe(true)
  })
})

describe('asProblem', () => {
  it('recognises Countersign problems only', () => {
    const problem = {
      type: 'https://countersign.dev/errors#target_forbidden',
      title: 'target forbidden',
      status: 403,
      code: 'target_forbidden',
      detail: 'not a registered target',
    }
    expect(asProblem(problem)).toEqual({
      code: 'target_forbidden',
      status: 403,
      detail: 'not a registered target',
    })
    expect(asProblem({ ...problem, type: 'https://example.com/probs/x' })).toBeUndefined()
    expect(asProblem({ ...problem, code: 'other_code' })).toBeUndefined()
    expect(asProblem({ code: 'target_forbidden' })).toBeUndefined()
    expect(asProblem([problem])).toBeUndefined()
    expect(asProblem('text')).toBeUndefined()
  })

  it('makes server text safe for messages', () => {
    expect(safeText('a\nb\u0000c')).toBe('a?b?c')
    expect(safeText('x'.repeat(300))).toHaveLength(201)
  })
})
