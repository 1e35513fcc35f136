import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  base62Width,
  concatBytes,
  fromBase62,
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  toBase62,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from './encoding.ts'

const ascii = (s: string) => new TextEncoder().encode(s)
const bytesArb = fc.uint8Array({ maxLength: 80 })
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** Strings over `alphabet` (plus extras), short enough that many are valid encodings. */
const stringOver = (alphabet: string, maxLength = 12) =>
  fc.array(fc.constantFrom(...alphabet), { maxLength }).map((chars) => chars.join(''))

function decodes(fn: () => unknown): boolean {
  try {
    fn()
    return true
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return false
  }
}

describe('RFC 4648 §10 test vectors', () => {
  const vectors: Array<[string, string, string]> = [
    ['', '', ''],
    ['f', 'Zg==', '66'],
    ['fo', 'Zm8=', '666F'],
    ['foo', 'Zm9v', '666F6F'],
    ['foob', 'Zm9vYg==', '666F6F62'],
    ['fooba', 'Zm9vYmE=', '666F6F6261'],
    ['foobar', 'Zm9vYmFy', '666F6F626172'],
  ]

  it('base64 (§4)', () => {
    for (const [plain, b64] of vectors) {
      expect(toBase64(ascii(plain))).toBe(b64)
      expect(fromBase64(b64)).toEqual(ascii(plain))
    }
  })

  it('base64url (§5), unpadded on output, padded or not on input', () => {
    for (const [plain, b64] of vectors) {
      const unpadded = b64.replace(/=+$/, '')
      expect(toBase64Url(ascii(plain))).toBe(unpadded)
      expect(fromBase64Url(unpadded)).toEqual(ascii(plain))
      expect(fromBase64Url(b64)).toEqual(ascii(plain))
    }
    expect(toBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_')
    expect(toBase64(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('+/+/')
  })

  it('base16 (§8): lowercase out, either case in', () => {
    for (const [plain, , hex] of vectors) {
      expect(toHex(ascii(plain))).toBe(hex.toLowerCase())
      expect(fromHex(hex)).toEqual(ascii(plain))
      expect(fromHex(hex.toLowerCase())).toEqual(ascii(plain))
    }
  })
})

describe('round trips', () => {
  it('base64', () => {
    fc.assert(
      fc.property(bytesArb, (b) => {
        expect(fromBase64(toBase64(b))).toEqual(b)
      }),
    )
  })

  it('base64url', () => {
    fc.assert(
      fc.property(bytesArb, (b) => {
        const text = toBase64Url(b)
        expect(text).not.toContain('=')
        expect(fromBase64Url(text)).toEqual(b)
      }),
    )
  })

  it('hex', () => {
    fc.assert(
      fc.property(bytesArb, (b) => {
        const text = toHex(b)
        expect(text).toMatch(/^(?:[0-9a-f]{2})*$/)
        expect(fromHex(text)).toEqual(b)
        expect(fromHex(text.toUpperCase())).toEqual(b)
      }),
    )
  })

  it('base62, fixed width by byte length', () => {
    fc.assert(
      fc.property(bytesArb, (b) => {
        const text = toBase62(b)
        expect(text).toHaveLength(base62Width(b.length))
        expect(text).toMatch(/^[0-9A-Za-z]*$/)
        expect(fromBase62(text, b.length)).toEqual(b)
      }),
    )
  })

  it('base62 keeps leading zero bytes and sorts like the numbers it encodes', () => {
    expect(toBase62(new Uint8Array([0, 0, 1]))).toBe('00001')
    expect(toBase62(new Uint8Array([0, 0, 61]))).toBe('0000z')
    expect(toBase62(new Uint8Array([0, 0, 62]))).toBe('00010')
    expect(toBase62(new Uint8Array(32).fill(0xff))).toHaveLength(43)
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (a, b) => {
          const numeric = Math.sign(Number(BigInt(`0x${toHex(a)}`) - BigInt(`0x${toHex(b)}`)))
          const textual = toBase62(a) < toBase62(b) ? -1 : toBase62(a) > toBase62(b) ? 1 : 0
          expect(textual).toBe(numeric)
        },
      ),
    )
  })

  it('base62 with an explicit width', () => {
    fc.assert(
      fc.property(bytesArb, fc.nat(5), (b, extra) => {
        const width = base62Width(b.length) + extra
        const text = toBase62(b, width)
        expect(text).toHaveLength(width)
        expect(fromBase62(text, b.length, width)).toEqual(b)
      }),
    )
    expect(() => toBase62(new Uint8Array([1, 0]), 1)).toThrow(RangeError)
  })

  it('utf8, for every well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const bytes = utf8(s)
        expect(bytes).toEqual(new Uint8Array(Buffer.from(s, 'utf8')))
        expect(fromUtf8(bytes)).toBe(s)
      }),
    )
    expect(fromUtf8(utf8('\uFEFFbom'))).toBe('\uFEFFbom') // a leading BOM is kept
  })
})

describe('strict decoders accept only the canonical encoding', () => {
  it('base64: whatever decodes re-encodes to the same string', () => {
    fc.assert(
      fc.property(stringOver(`${B64}=`), (s) => {
        if (decodes(() => fromBase64(s))) {
          expect(toBase64(fromBase64(s))).toBe(s)
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('base64url: whatever decodes re-encodes to the same string, minus padding', () => {
    fc.assert(
      fc.property(stringOver(`${B64URL}=`), (s) => {
        if (decodes(() => fromBase64Url(s))) {
          expect(toBase64Url(fromBase64Url(s))).toBe(s.replace(/=+$/, ''))
        }
      }),
      { numRuns: 3000 },
    )
  })

  it('hex: whatever decodes re-encodes to the same string, ignoring case', () => {
    fc.assert(
      fc.property(stringOver('0123456789abcdefABCDEFgx '), (s) => {
        if (decodes(() => fromHex(s))) {
          expect(toHex(fromHex(s))).toBe(s.toLowerCase())
        }
      }),
    )
  })

  it('base64 and base64url reject non-zero trailing bits', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }).filter((b) => b.length % 3 !== 0),
        fc.integer({ min: 1, max: 15 }),
        (b, noise) => {
          // 1 byte left over: the last character carries 4 padding bits; 2 bytes: 2 bits.
          const spareBits = b.length % 3 === 1 ? 4 : 2
          const flip = noise & ((1 << spareBits) - 1)
          fc.pre(flip !== 0)
          for (const [encode, decode, alphabet] of [
            [toBase64, fromBase64, B64],
            [toBase64Url, fromBase64Url, B64URL],
          ] as const) {
            const text = encode(b)
            const unpadded = text.replace(/=+$/, '')
            const last = unpadded.length - 1
            const mutated =
              unpadded.slice(0, last) +
              alphabet[alphabet.indexOf(unpadded[last]!) ^ flip] +
              text.slice(unpadded.length)
            expect(() => decode(mutated)).toThrow(TypeError)
          }
        },
      ),
    )
    expect(() => fromBase64('Zh==')).toThrow(/trailing bits/)
    expect(() => fromBase64Url('Zm9=')).toThrow(/trailing bits/)
  })

  it('base64 rejects bad padding, length, and characters', () => {
    for (const bad of [
      'Zg', // padding required
      'Zg=',
      'Zg===',
      'Zm8==',
      'Zm9v=',
      'Z===',
      'Z',
      'Zm9vY',
      '=Zm9',
      'Zm=v',
      'Zm9v\n',
      ' Zm9v',
      'Zm9-', // base64url alphabet
      'Zm9_',
      'Zm9\u00e9',
      'Zm9\u{1F600}',
    ]) {
      expect(() => fromBase64(bad), JSON.stringify(bad)).toThrow(TypeError)
    }
  })

  it('base64url rejects wrong padding and the base64 alphabet', () => {
    for (const bad of ['Zg=', 'Zg===', 'Zm9v=', 'Z', 'Zm9vY', 'Zm9+', 'Zm9/', 'Zm9v ', 'Zm=v']) {
      expect(() => fromBase64Url(bad), JSON.stringify(bad)).toThrow(TypeError)
    }
  })

  it('hex rejects odd length and non-hex characters', () => {
    for (const bad of ['a', 'abc', 'gg', '0x00', ' 00', '00 ', '\u0660\u0660']) {
      expect(() => fromHex(bad), JSON.stringify(bad)).toThrow(TypeError)
    }
  })

  it('base62 rejects characters outside the alphabet and values too large', () => {
    for (const bad of ['+', '-', '_', '=', ' ', '\u00e9']) {
      expect(() => fromBase62(`00${bad}`, 2), JSON.stringify(bad)).toThrow(TypeError)
    }
    expect(() => fromBase62('zzz', 2)).toThrow(/too large/) // 238327 > 65535
    expect(fromBase62('H31', 2)).toEqual(new Uint8Array([0xff, 0xff])) // 65535
    expect(() => fromBase62('H32', 2)).toThrow(TypeError)
    fc.assert(
      fc.property(stringOver(`${B62}+/`, 8), fc.integer({ min: 1, max: 6 }), (s, length) => {
        if (decodes(() => fromBase62(s, length))) {
          expect(s).toMatch(/^[0-9A-Za-z]*$/)
          // The value fits: re-encoding at the same width gives the same string.
          expect(toBase62(fromBase62(s, length), s.length)).toBe(s)
        }
      }),
    )
  })

  // KNOWN BUG (encoding.ts, not owned by this test's author): fromBase62 does not check the
  // width, so '1', '01' and '001' all decode to [1]: not one-to-one, despite the module's
  // promise. Callers that need canonical input (secrets.ts) check the length themselves.
  it('base62 rejects a string of the wrong width', () => {
    expect(() => fromBase62('1', 1)).toThrow(TypeError)
    expect(() => fromBase62('001', 1)).toThrow(TypeError)
    expect(() => fromBase62('', 32)).toThrow(TypeError)
  })

  it('utf8 decoding rejects malformed sequences', () => {
    for (const bad of [
      [0x80], // lone continuation byte
      [0xc0, 0x80], // overlong NUL
      [0xe0, 0x80, 0x80], // overlong
      [0xed, 0xa0, 0x80], // an encoded surrogate
      [0xe2, 0x82], // truncated
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xff],
    ]) {
      expect(() => fromUtf8(new Uint8Array(bad)), String(bad)).toThrow(TypeError)
    }
  })
})

describe('argument checks', () => {
  it('encoders need a Uint8Array, decoders a string', () => {
    for (const encode of [toBase64, toBase64Url, toHex, (b: Uint8Array) => toBase62(b), fromUtf8]) {
      for (const bad of ['abc', [1, 2], null, undefined, new ArrayBuffer(2)]) {
        expect(() => encode(bad as unknown as Uint8Array)).toThrow(TypeError)
      }
    }
    for (const decode of [
      fromBase64,
      fromBase64Url,
      fromHex,
      (s: string) => fromBase62(s, 1),
      utf8,
    ]) {
      for (const bad of [new Uint8Array(2), 42, null, undefined]) {
        expect(() => decode(bad as unknown as string)).toThrow(TypeError)
      }
    }
    expect(() => concatBytes(new Uint8Array(1), 'x' as unknown as Uint8Array)).toThrow(TypeError)
  })

  it('accepts Uint8Array views and Buffers', () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9])
    const view = backing.subarray(1, 4)
    expect(toHex(view)).toBe('010203')
    expect(toBase64(Buffer.from([1, 2, 3]))).toBe('AQID')
  })
})

describe('concatBytes', () => {
  it('joins in order', () => {
    fc.assert(
      fc.property(fc.array(bytesArb, { maxLength: 5 }), (parts) => {
        const joined = concatBytes(...parts)
        expect(toHex(joined)).toBe(parts.map(toHex).join(''))
      }),
    )
    expect(concatBytes()).toEqual(new Uint8Array())
  })
})
