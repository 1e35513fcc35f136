import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromBase62, toBase62 } from './encoding.ts'
import { checkSecret, formatSecret, generateSecret, parseSecret } from './secrets.ts'

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const SECRET_RE = /^([a-z0-9]+(?:_[a-z0-9]+)*)_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/

/** A checksum computed independently of secrets.ts, with node:zlib's CRC-32. */
function zlibChecksum(prefixAndBody: string): string {
  const crc = crc32(Buffer.from(prefixAndBody, 'ascii'))
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, crc)
  return toBase62(bytes, 6)
}

const prefixArb = fc
  .array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join('_'))
  .filter((p) => p.length >= 2 && p.length <= 16)

const secretArb = fc
  .tuple(prefixArb, fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([prefix, bytes]) => formatSecret(prefix, bytes))

describe('generateSecret', () => {
  it('produces <prefix>_<43 base62><6 base62> with a valid checksum', () => {
    for (const prefix of ['cs_pt', 'cs_ak', 'cs_sk', 'ab', 'a1_b2_c3', 'abcdefghijklmnop']) {
      const secret = generateSecret(prefix)
      expect(secret).toHaveLength(prefix.length + 50)
      const match = SECRET_RE.exec(secret)
      expect(match?.[1]).toBe(prefix)
      expect(match?.[3]).toBe(zlibChecksum(`${prefix}_${match?.[2]}`))
      expect(parseSecret(secret)).toEqual({ prefix, body: match?.[2], checksum: match?.[3] })
      expect(checkSecret(secret)).toBe(true)
      expect(checkSecret(secret, prefix)).toBe(true)
    }
  })

  it('draws fresh randomness every time', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateSecret('cs_ak')))
    expect(seen.size).toBe(2000)
  })

  it('rejects a bad prefix with TypeError', () => {
    const bad: unknown[] = [
      '',
      'a',
      'abcdefghijklmnopq', // 17
      'Cs_ak',
      'cs__ak',
      '_cs',
      'cs_',
      'cs-ak',
      'cs ak',
      'cs_ak\n',
      'c\u00e9',
      undefined,
      null,
      42,
      { toString: () => 'cs_ak' },
    ]
    for (const prefix of bad) {
      expect(() => generateSecret(prefix as string)).toThrow(TypeError)
      if (prefix !== undefined) {
        expect(() => checkSecret('x', prefix as string)).toThrow(TypeError)
      }
    }
  })
})

describe('formatSecret (the worked example in docs/spec/secrets.md)', () => {
  const bytes = Uint8Array.from({ length: 32 }, (_, i) => i)
  const expected = 'cs_ak_003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf1UJWHU'

  it('gives the pinned known answer', () => {
    expect(formatSecret('cs_ak', bytes)).toBe(expected)
    expect(fromBase62(expected.slice(6, 49), 32)).toEqual(bytes)
    expect(expected.slice(49)).toBe(zlibChecksum(expected.slice(0, 49)))
    expect(crc32(Buffer.from(expected.slice(0, 49), 'ascii'))).toBe(0x514e22e4)
  })

  it('keeps leading zero bytes as leading zero digits (fixed width)', () => {
    const zero = formatSecret('cs_ak', new Uint8Array(32))
    expect(zero.slice(6, 49)).toBe('0'.repeat(43))
    expect(parseSecret(zero)?.body).toBe('0'.repeat(43))
  })

  it('rejects anything but 32 bytes', () => {
    expect(() => formatSecret('cs_ak', new Uint8Array(31))).toThrow(TypeError)
    expect(() => formatSecret('cs_ak', [] as unknown as Uint8Array)).toThrow(TypeError)
  })

  it('round-trips any prefix and any 256-bit body', () => {
    fc.assert(
      fc.property(prefixArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), (prefix, body) => {
        const secret = formatSecret(prefix, body)
        const parsed = parseSecret(secret)
        expect(parsed?.prefix).toBe(prefix)
        expect(fromBase62(parsed?.body ?? '', 32)).toEqual(body)
        expect(parsed?.checksum).toBe(zlibChecksum(secret.slice(0, -6)))
      }),
    )
  })
})

describe('parseSecret', () => {
  it('rejects every single-character substitution (CRC-32 catches all of them)', () => {
    fc.assert(
      fc.property(secretArb, fc.nat(), fc.nat(), (secret, at, by) => {
        const i = at % secret.length
        const alphabet = secret[i] === '_' ? `${ALNUM}-` : `${ALNUM}_.`
        let replacement = alphabet[by % alphabet.length]!
        if (replacement === secret[i]) {
          replacement = alphabet[(by + 1) % alphabet.length]!
        }
        const mutated = secret.slice(0, i) + replacement + secret.slice(i + 1)
        expect(parseSecret(mutated)).toBeUndefined()
        expect(checkSecret(mutated)).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })

  it('rejects adjacent transpositions in the body and checksum', () => {
    fc.assert(
      fc.property(secretArb, fc.nat(), (secret, at) => {
        const start = secret.length - 49
        const i = start + (at % 48)
        fc.pre(secret[i] !== secret[i + 1])
        const swapped = secret.slice(0, i) + secret[i + 1] + secret[i] + secret.slice(i + 2)
        expect(parseSecret(swapped)).toBeUndefined()
      }),
    )
  })

  it('rejects truncation, extension and surrounding whitespace', () => {
    const secret = generateSecret('cs_sk')
    for (const variant of [
      secret.slice(0, -1),
      secret.slice(1),
      `${secret}0`,
      `0${secret}`,
      ` ${secret}`,
      `${secret}\n`,
      secret.toUpperCase(),
      '',
      '_',
    ]) {
      expect(parseSecret(variant)).toBeUndefined()
    }
  })

  it('rejects a body above 2^256 - 1 even with a matching checksum', () => {
    const max = toBase62(new Uint8Array(32).fill(0xff), 43)
    const atMax = `cs_ak_${max}`
    expect(parseSecret(atMax + zlibChecksum(atMax))?.body).toBe(max)
    const over = `cs_ak_${'z'.repeat(43)}`
    expect(parseSecret(over + zlibChecksum(over))).toBeUndefined()
    const justOver = `cs_ak_${max.slice(0, -1)}${ALNUM[ALNUM.indexOf(max.at(-1)!) + 1]}`
    expect(parseSecret(justOver + zlibChecksum(justOver))).toBeUndefined()
  })

  it('rejects a malformed prefix even with a matching checksum', () => {
    const body = toBase62(new Uint8Array(32).fill(7), 43)
    for (const prefix of [
      'c',
      'CS_AK',
      'cs__ak',
      '_csak',
      'cs-ak',
      'abcdefghijklmnopq',
      'c\u00e9',
    ]) {
      const head = `${prefix}_${body}`
      expect(parseSecret(head + zlibChecksum(head))).toBeUndefined()
    }
  })

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        expect(parseSecret(s)).toBeUndefined()
      }),
    )
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(() => parseSecret(v as string)).not.toThrow()
        expect(() => checkSecret(v as string)).not.toThrow()
      }),
    )
    for (const v of [null, undefined, 1, {}, [], Symbol('x'), 10n]) {
      expect(parseSecret(v as unknown as string)).toBeUndefined()
      expect(checkSecret(v as unknown as string, 'cs_ak')).toBe(false)
    }
  })

  it('rejects a huge input by length before any other work', () => {
    const huge = `cs_ak_${'a'.repeat(5_000_000)}`
    expect(parseSecret(huge)).toBeUndefined()
    expect(checkSecret(huge, 'cs_ak')).toBe(false)
  })
})

describe('checkSecret', () => {
  it('matches the prefix exactly', () => {
    const key = generateSecret('cs_ak')
    expect(checkSecret(key, 'cs_ak')).toBe(true)
    expect(checkSecret(key, 'cs_sk')).toBe(false)
    expect(checkSecret(key, 'cs')).toBe(false)
    expect(checkSecret(generateSecret('cs_ak_live'), 'cs_ak')).toBe(false)
  })

  it('splits the prefix at the last underscore', () => {
    const key = generateSecret('cs_ak_live')
    expect(parseSecret(key)?.prefix).toBe('cs_ak_live')
    expect(checkSecret(key, 'cs_ak_live')).toBe(true)
  })
})
