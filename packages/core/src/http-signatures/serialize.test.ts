import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type BareItem,
  ByteSequence,
  type InnerList,
  type Item,
  type Parameters,
  serializeItem,
  serializeList,
  Token,
} from '../structured-fields.ts'
import { serializeInnerListFast, serializeItemFast } from './serialize.ts'

const printable = fc.string({
  unit: fc.constantFrom(...' !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~'.split('')),
  maxLength: 12,
})

const bareItem: fc.Arbitrary<BareItem> = fc.oneof(
  printable,
  fc.string({ maxLength: 4 }), // may be non-ASCII: both paths must refuse it the same way
  fc.integer(),
  fc.constantFrom(0, -0, 999_999_999_999_999, -999_999_999_999_999, 1e15, -1e15),
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
  fc.boolean(),
  fc.constantFrom(new Token('sha-256'), new Token('*a'), new ByteSequence(new Uint8Array([1, 2]))),
)

const key = fc.oneof(
  fc.constantFrom('sf', 'req', 'key', 'name', 'created', 'nonce', 'keyid', 'a*', '*x'),
  fc.constantFrom('Bad', '1x', ''), // invalid keys: both paths must refuse them
)

const params: fc.Arbitrary<Parameters> = fc
  .array(fc.tuple(key, bareItem), { maxLength: 4 })
  .map((entries) => new Map(entries))

const item: fc.Arbitrary<Item> = fc.tuple(fc.oneof(printable, bareItem), params)
const innerList: fc.Arbitrary<InnerList> = fc.tuple(fc.array(item, { maxLength: 5 }), params)

function outcome(fn: () => string): string {
  try {
    return `ok ${fn()}`
  } catch (error) {
    return `throws ${(error as Error).constructor.name}`
  }
}

describe('fast structured-field serialisation', () => {
  it('writes exactly what serializeList writes, or throws the same error class', () => {
    fc.assert(
      fc.property(innerList, (list) => {
        expect(outcome(() => serializeInnerListFast(list))).toBe(
          outcome(() => serializeList([list])),
        )
      }),
      { numRuns: 2000 },
    )
  })

  it('writes items exactly as serializeItem does', () => {
    fc.assert(
      fc.property(item, ([value, p]) => {
        expect(outcome(() => serializeItemFast(value, p))).toBe(
          outcome(() => serializeItem([value, p])),
        )
      }),
      { numRuns: 2000 },
    )
  })

  it('escapes quotes and backslashes and writes flags bare', () => {
    const list: InnerList = [
      [
        ['@method', new Map()],
        ['content-digest', new Map([['req', true]])],
        ['@query-param', new Map([['name', 'a"b\\c']])],
      ],
      new Map<string, BareItem>([
        ['created', 1],
        ['keyid', 'k"1'],
        ['flag', false],
      ]),
    ]
    expect(serializeInnerListFast(list)).toBe(
      '("@method" "content-digest";req "@query-param";name="a\\"b\\\\c");created=1;keyid="k\\"1";flag=?0',
    )
    expect(serializeInnerListFast(list)).toBe(serializeList([list]))
  })
})
