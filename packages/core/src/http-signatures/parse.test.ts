import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type BareItem,
  ByteSequence,
  type Dictionary,
  type InnerList,
  type Item,
  type Parameters,
  parseDictionary,
  serializeDictionary,
  Token,
} from '../structured-fields.ts'
import { dictionaryMemberKeys, hasDuplicate } from './internal.ts'
import {
  fastDictionary,
  InnerListCache,
  isSharedItemList,
  parseFieldDictionary,
  singleByteSequence,
} from './parse.ts'

/** The field parsed by the library path alone (core's wrapper), for comparison. */
function reference(value: string, field: string) {
  const dictionary = parseDictionary(value, { field })
  return { dictionary, duplicateKeys: hasDuplicate(dictionaryMemberKeys(value.replace(/ +$/, ''))) }
}

function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() }
  } catch (error) {
    return { throws: (error as Error).constructor.name, code: (error as { code?: string }).code }
  }
}

const samples = [
  'sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="k1";nonce="n"',
  'sig1=:AAEC:, sig2=:/w==:',
  'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, md5=?1',
  'a=(1 2.5 tok "s" :AA==: ?0);x=%"d%c3%a9", b, c=@1659578233',
  'a=1;p=-0, b=-0',
]

const key = fc.oneof(
  fc.constantFrom('sig1', 'sha-256', 'sha-512', 'a', '*', 'x.y_z-1*'),
  fc.stringMatching(/^[a-z*][a-z0-9_.*-]{0,6}$/),
)
const printable = fc.string({
  unit: fc.constantFrom(...' !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~'.split('')),
  maxLength: 10,
})
const bare: fc.Arbitrary<BareItem> = fc.oneof(
  { weight: 4, arbitrary: printable },
  { weight: 3, arbitrary: fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => new ByteSequence(b)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom(new Token('tok'), new Token('*a/b:c')) },
  { weight: 1, arbitrary: fc.constantFrom(1.5, -0.25, 123.125) },
)
const params: fc.Arbitrary<Parameters> = fc
  .array(fc.tuple(key, bare), { maxLength: 4 })
  .map((entries) => new Map(entries))
const item: fc.Arbitrary<Item> = fc.tuple(bare, params)
const member: fc.Arbitrary<Item | InnerList> = fc.oneof(
  item,
  fc.tuple(fc.array(item, { maxLength: 5 }), params) as fc.Arbitrary<InnerList>,
  params.map((p) => [true, p] as Item),
)
const dictionary: fc.Arbitrary<string> = fc
  .array(fc.tuple(key, member), { minLength: 1, maxLength: 4 })
  .map((entries) => serializeDictionary(new Map(entries) as Dictionary))

/** Valid text with optional whitespace where the grammar allows it, and duplicate keys. */
const spaced = fc
  .tuple(dictionary, dictionary, fc.boolean(), fc.constantFrom(',', ', ', ' ,\t', ',  '))
  .map(([a, b, twice, sep]) => (twice ? `${a}${sep}${b}` : a))
  .map((text) => text.replace(/; /g, ';'))

const chars = fc.constantFrom(...'()";=:,*-._ ?@%\\/\t1aAz+'.split(''), '\u00e9', '\r')
const mutated = fc
  .tuple(
    fc.oneof(spaced, fc.constantFrom(...samples)),
    fc.nat(),
    fc.string({ unit: chars, maxLength: 3 }),
    fc.nat({ max: 3 }),
  )
  .map(([s, at, insert, drop]) => {
    const i = at % (s.length + 1)
    return s.slice(0, i) + insert + s.slice(i + drop)
  })

describe('parseFieldDictionary', () => {
  it('parses valid dictionaries exactly as the library, taking the fast path when it can', () => {
    let fast = 0
    fc.assert(
      fc.property(spaced, (value) => {
        const expected = reference(value, 'X')
        expect(parseFieldDictionary(value, 'X')).toEqual(expected)
        const quick = fastDictionary(value.replace(/ +$/, ''))
        if (quick !== undefined) {
          fast++
          expect(quick).toEqual(expected)
        }
      }),
      { numRuns: 3000 },
    )
    expect(fast).toBeGreaterThan(300) // the fast path is exercised, not just the fallback
  })

  it('agrees with the library on mutated input, and never accepts what it refuses', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ unit: chars, maxLength: 30 })), (value) => {
        const expected = outcome(() => reference(value, 'Signature-Input'))
        expect(outcome(() => parseFieldDictionary(value, 'Signature-Input'))).toEqual(expected)
        if (
          /^[\t\x20-\x7e]*$/.test(value) &&
          fastDictionary(value.replace(/ +$/, '')) !== undefined
        ) {
          expect(expected).toHaveProperty('ok')
        }
      }),
      { numRuns: 5000 },
    )
  })

  it('takes the fast path for what Countersign and common signers write', () => {
    for (const sample of samples.slice(0, 3)) {
      expect(fastDictionary(sample)).toEqual(reference(sample, 'X'))
    }
    expect(fastDictionary(samples[3] as string)).toBeUndefined() // tokens, decimals: the library
  })

  it('refuses oversized or non-ASCII input as malformed', () => {
    for (const bad of [`${'a=1'.padEnd(16 * 1024 + 1, ' ')}x`, 'a="\u00e9"', 'a=1\n']) {
      expect(() => parseFieldDictionary(bad, 'X')).toThrow(
        expect.objectContaining({ code: 'malformed' }),
      )
    }
    expect(() => parseFieldDictionary(1 as unknown as string, 'X')).toThrow(TypeError)
  })
})

/** A parsed Dictionary as plain data (Maps as entry arrays), to compare across Map classes. */
function plain(value: unknown): unknown {
  if (value instanceof Map) {
    return [...value].map(([k, v]) => [k, plain(v)])
  }
  if (Array.isArray(value)) {
    return value.map(plain)
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  }
  return value
}

describe('InnerListCache', () => {
  it('parses with the cache exactly as without, on valid and mutated input', () => {
    const cache = new InnerListCache()
    fc.assert(
      fc.property(fc.oneof(spaced, mutated, fc.constantFrom(...samples)), (value) => {
        const text = value.replace(/ +$/, '')
        const expected = outcome(() => plain(parseFieldDictionary(value, 'X')))
        // Twice: the first call may fill the cache, the second reads from it.
        expect(outcome(() => plain(parseFieldDictionary(value, 'X', cache)))).toEqual(expected)
        expect(outcome(() => plain(parseFieldDictionary(value, 'X', cache)))).toEqual(expected)
        if (/^[\t\x20-\x7e]*$/.test(text)) {
          expect(plain(fastDictionary(text, cache))).toEqual(plain(fastDictionary(text)))
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('hands out one frozen items array per list text, with read-only parameters', () => {
    const cache = new InnerListCache()
    const a = fastDictionary('sig1=("@method" "x";req);created=1', cache)
    const b = fastDictionary('sig2=("@method" "x";req);created=2;nonce="n"', cache)
    const first = a?.dictionary.get('sig1')?.[0] as Item[]
    const second = b?.dictionary.get('sig2')?.[0] as Item[]
    expect(second).toBe(first)
    expect(isSharedItemList(first)).toBe(true)
    expect(Object.isFrozen(first)).toBe(true)
    expect(Object.isFrozen(first[1])).toBe(true)
    const params = (first[1] as Item)[1]
    expect([...params]).toEqual([['req', true]])
    expect(() => params.set('sf', true)).toThrow(TypeError)
    expect(() => params.delete('req')).toThrow(TypeError)
    expect(() => params.clear()).toThrow(TypeError)
    expect([...params]).toEqual([['req', true]])
    // The parameters after the list are the message's own.
    expect(b?.dictionary.get('sig2')?.[1]).toEqual(
      new Map<string, BareItem>([
        ['created', 2],
        ['nonce', 'n'],
      ]),
    )
    // Without a cache, nothing is shared.
    const c = fastDictionary('sig1=("@method" "x";req);created=1')
    expect(isSharedItemList(c?.dictionary.get('sig1')?.[0] as Item[])).toBe(false)
  })

  it('does not keep lists of byte sequences, tokens or decimals, nor very long ones', () => {
    const cache = new InnerListCache()
    for (const value of ['a=(:AAEC: "x")', `a=("${'x'.repeat(1100)}")`]) {
      const first = fastDictionary(value, cache)
      const second = fastDictionary(value, cache)
      expect(first?.dictionary.get('a')?.[0]).not.toBe(second?.dictionary.get('a')?.[0])
      expect(isSharedItemList(first?.dictionary.get('a')?.[0] as Item[])).toBe(false)
    }
  })

  it('reads a cached list only up to its closing parenthesis', () => {
    const cache = new InnerListCache()
    fastDictionary('a=("x" "y")', cache)
    // The same text up to the first `)` inside a string is not the cached list.
    expect(plain(fastDictionary('a=("x" "y)")', cache))).toEqual(
      plain(fastDictionary('a=("x" "y)")')),
    )
    expect(fastDictionary('a=("x" "y")x', cache)).toBeUndefined()
    expect(fastDictionary('a=("x" "y");p=1, b=("x" "y")', cache)?.dictionary.size).toBe(2)
  })
})

describe('singleByteSequence', () => {
  const single = fc
    .tuple(key, fc.uint8Array({ maxLength: 70 }))
    .map(([k, bytes]) => serializeDictionary(new Map([[k, [new ByteSequence(bytes), new Map()]]])))
  const b64 = fc.constantFrom(...'AQw+/=:'.split(''))
  const mutatedSingle = fc
    .tuple(
      single,
      fc.nat(),
      fc.string({ unit: fc.oneof(chars, b64), maxLength: 2 }),
      fc.nat({ max: 2 }),
    )
    .map(([s, at, insert, drop]) => {
      const i = at % (s.length + 1)
      return s.slice(0, i) + insert + s.slice(i + drop)
    })

  it('returns what the Dictionary parser returns for `key=:base64:`, and nothing else', () => {
    let taken = 0
    fc.assert(
      fc.property(fc.oneof(single, mutatedSingle, mutated), (value) => {
        const fast = singleByteSequence(value)
        if (fast === undefined) {
          return
        }
        taken++
        const { dictionary, duplicateKeys } = parseFieldDictionary(value, 'X')
        expect(duplicateKeys).toBe(false)
        expect(dictionary.size).toBe(1)
        const [k, member] = [...dictionary][0] as [string, Item]
        expect(k).toBe(fast.key)
        expect(member[0]).toBeInstanceOf(ByteSequence)
        expect((member[0] as ByteSequence).bytes).toEqual(fast.bytes)
        expect(member[1].size).toBe(0)
      }),
      { numRuns: 4000 },
    )
    expect(taken).toBeGreaterThan(500)
  })

  it('leaves anything unusual to the parser', () => {
    for (const value of [
      '',
      'sig1=:AQID:;p=1',
      ' sig1=:AQID:',
      'sig1=:AQID: ',
      'sig1=:AQID:, sig2=:AA==:',
      'sig1=:AQI:',
      'Sig1=:AQID:',
      'sig1=:AQ:D:',
      'sig1="AQID"',
      `a=:${'A'.repeat(16 * 1024)}:`,
    ]) {
      expect(singleByteSequence(value)).toBeUndefined()
    }
    expect(singleByteSequence('*a.b-c_1=::')).toEqual({ key: '*a.b-c_1', bytes: new Uint8Array() })
    expect(singleByteSequence(1 as unknown as string)).toBeUndefined()
  })
})
