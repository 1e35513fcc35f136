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
import { fastDictionary, parseFieldDictionary } from './parse.ts'

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
