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

  it('refuses numbers the relay would refuse, naming them', () => {
    for (const n of [2 ** 53, -(2 ** 53), 1e300, -Number.MAX_VALUE, 5e-324, -1e-310]) {
      expect(() => assertJson({ order: { amount: n } }, 'data'), String(n)).toThrow(
        `data.order.amount is ${n}`,
      )
    }
    for (const n of [
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      0.1,
      -0,
      2.2250738585072014e-308,
    ]) {
      expect(() => assertJson([n], 'data'), String(n)).not.toThrow()
    }
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

  it('never returns a number changed by parsing: refused JSON comes back as text', () => {
    for (const text of [
      '{"id":12345678901234567890}',
      '{"id":12345678901234567890.0}',
      '[1e400]',
      '[3.141592653589793238462643383279]',
      '[1e-400]',
      '[-0.123456789012345678]',
    ]) {
      expect(parseBody(text, 'application/json'), text).toBe(text)
    }
    expect(
      parseBody(
        '{"id":9007199254740991,"r":0.1,"z":0.000,"s":1.50000000000000000000}',
        'application/json',
      ),
    ).toEqual({
      id: 9007199254740991,
      r: 0.1,
      z: 0,
      s: 1.5,
    })
    let deep = '1'
    for (let i = 0; i < 100; i++) {
      deep = `[${deep}]`
    }
    expect(parseBody(deep, 'application/json')).toEqual(JSON.parse(deep))
  })
})

describe('asProblem', () => {
  it('recognises Countersign problems only', () => {
    const problem = {
      type: 'https://countersign.dev/errors/target_forbidden',
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

  it('recognises them under any configured base, the old #fragment one included', () => {
    const problem = { title: 'replayed', status: 401, code: 'replayed' }
    for (const type of [
      'https://docs.example/cs/errors/replayed',
      'https://countersign.dev/errors#replayed',
      'http://127.0.0.1:5173/errors/replayed',
    ]) {
      expect(asProblem({ ...problem, type })?.code).toBe('replayed')
    }
    for (const type of [
      'errors/replayed',
      'javascript:alert(1)//replayed',
      'https://docs.example/errors/not_replayed',
      'https://docs.example/errors/replayed/x',
      'https://docs example/errors/replayed',
    ]) {
      expect(asProblem({ ...problem, type })).toBeUndefined()
    }
  })

  it('makes server text safe for messages', () => {
    expect(safeText('a\nb\u0000c')).toBe('a?b?c')
    expect(safeText('x'.repeat(300))).toHaveLength(201)
  })
})
