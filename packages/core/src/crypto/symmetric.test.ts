import { createCipheriv, hkdfSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../encoding.ts'
import { aesGcmDecrypt, aesGcmEncrypt, cryptoBackendName, hkdfSha256 } from './api.ts'
import { nodeBackend } from './node.ts'
import type { CryptoBackend } from './types.ts'
import { webBackend } from './web.ts'

const BACKENDS: CryptoBackend[] = [webBackend, nodeBackend]

/** Bytes `from..to` inclusive, as RFC 5869 test case 2 writes its inputs. */
function range(from: number, to: number): Uint8Array {
  return Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

/** RFC 5869 Appendix A, test cases 1-3 (HKDF-SHA256). */
const HKDF_VECTORS = [
  {
    name: 'RFC 5869 A.1 (basic)',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: fromHex('000102030405060708090a0b0c'),
    info: fromHex('f0f1f2f3f4f5f6f7f8f9'),
    length: 42,
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
  },
  {
    name: 'RFC 5869 A.2 (longer inputs and outputs)',
    ikm: range(0x00, 0x4f),
    salt: range(0x60, 0xaf),
    info: range(0xb0, 0xff),
    length: 82,
    okm:
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
      '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
      'cc30c58179ec3e87c14c01d5c1f3434f1d87',
  },
  {
    name: 'RFC 5869 A.3 (zero-length salt and info)',
    ikm: new Uint8Array(22).fill(0x0b),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    length: 42,
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
  },
]

/**
 * AES-256-GCM known answers: Test Cases 13-16 (256-bit key) of McGrew & Viega, "The Galois/Counter
 * Mode of Operation (GCM)", Appendix B (the GCM submission to NIST), values copied literally.
 */
const GCM_K15 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'
const GCM_P15 =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
  '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255'
const GCM_C15 =
  '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
  '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad'
const GCM_VECTORS = [
  {
    name: 'McGrew-Viega GCM Test Case 13 (empty plaintext)',
    key: '00'.repeat(32),
    iv: '00'.repeat(12),
    plaintext: '',
    aad: undefined,
    ciphertext: '',
    tag: '530f8afbc74536b9a963b4f1c4cb738b',
  },
  {
    name: 'McGrew-Viega GCM Test Case 14',
    key: '00'.repeat(32),
    iv: '00'.repeat(12),
    plaintext: '00'.repeat(16),
    aad: undefined,
    ciphertext: 'cea7403d4d606b6e074ec5d3baf39d18',
    tag: 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  {
    name: 'McGrew-Viega GCM Test Case 15',
    key: GCM_K15,
    iv: 'cafebabefacedbaddecaf888',
    plaintext: GCM_P15,
    aad: undefined,
    ciphertext: GCM_C15,
    tag: 'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: 'McGrew-Viega GCM Test Case 16 (with AAD)',
    key: GCM_K15,
    iv: 'cafebabefacedbaddecaf888',
    plaintext: GCM_P15.slice(0, 120),
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    ciphertext: GCM_C15.slice(0, 120),
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
]

const KEY = fromHex(GCM_K15)
const IV = fromHex('cafebabefacedbaddecaf888')
const AAD = new TextEncoder().encode('cs:test:aad')
const MESSAGE = new TextEncoder().encode('a parameter-token payload {"k":"v"}')

/** A copy of `bytes` with `mask` XORed into byte `index`. */
function flip(bytes: Uint8Array, index: number, mask: number): Uint8Array {
  const out = bytes.slice()
  out[index] = (out[index] ?? 0) ^ mask
  return out
}

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  )
}

describe.each(BACKENDS)('HKDF-SHA256 ($name backend)', (backend) => {
  it.each(HKDF_VECTORS)('matches $name', async ({ ikm, salt, info, length, okm }) => {
    expect(toHex(await backend.hkdfSha256(ikm, salt, info, length))).toBe(okm)
  })

  it('returns a prefix of the longer output for a shorter length', async () => {
    const { ikm, salt, info, okm } = HKDF_VECTORS[0]!
    expect(toHex(await backend.hkdfSha256(ikm, salt, info, 32))).toBe(okm.slice(0, 64))
    expect(toHex(await backend.hkdfSha256(ikm, salt, info, 1))).toBe(okm.slice(0, 2))
  })

  it('derives the maximum 8160 bytes, as node:crypto does', async () => {
    const { ikm, salt, info } = HKDF_VECTORS[1]!
    const out = await backend.hkdfSha256(ikm, salt, info, 8160)
    expect(out.byteLength).toBe(8160)
    expect(toHex(out)).toBe(toHex(new Uint8Array(hkdfSync('sha256', ikm, salt, info, 8160))))
  })

  it('accepts views into a larger buffer', async () => {
    const { ikm, salt, info, length, okm } = HKDF_VECTORS[0]!
    const big = new Uint8Array(100)
    big.set(ikm, 7)
    const view = big.subarray(7, 7 + ikm.byteLength)
    expect(toHex(await backend.hkdfSha256(view, salt, info, length))).toBe(okm)
  })

  it('refuses bad arguments with TypeError / RangeError', async () => {
    const b = new Uint8Array(16)
    for (const bad of [undefined, 'secret', [1, 2], new ArrayBuffer(4)]) {
      expect(await rejects(backend.hkdfSha256(bad as never, b, b, 32))).toBeInstanceOf(TypeError)
      expect(await rejects(backend.hkdfSha256(b, bad as never, b, 32))).toBeInstanceOf(TypeError)
      expect(await rejects(backend.hkdfSha256(b, b, bad as never, 32))).toBeInstanceOf(TypeError)
    }
    for (const bad of [1.5, Number.NaN, '32', undefined]) {
      expect(await rejects(backend.hkdfSha256(b, b, b, bad as never))).toBeInstanceOf(TypeError)
    }
    for (const bad of [0, -1, 8161]) {
      expect(await rejects(backend.hkdfSha256(b, b, b, bad))).toBeInstanceOf(RangeError)
    }
    expect(await rejects(backend.hkdfSha256(b, b, new Uint8Array(1025), 32))).toBeInstanceOf(
      RangeError,
    )
    expect((await backend.hkdfSha256(b, b, new Uint8Array(1024), 32)).byteLength).toBe(32)
  })
})

describe.each(BACKENDS)('AES-256-GCM ($name backend)', (backend) => {
  it.each(GCM_VECTORS)('encrypts $name', async (v) => {
    const aad = v.aad === undefined ? undefined : fromHex(v.aad)
    const sealed = await backend.aesGcmEncrypt(
      fromHex(v.key),
      fromHex(v.iv),
      fromHex(v.plaintext),
      aad,
    )
    expect(toHex(sealed)).toBe(v.ciphertext + v.tag)
  })

  it.each(GCM_VECTORS)('decrypts $name', async (v) => {
    const aad = v.aad === undefined ? undefined : fromHex(v.aad)
    const opened = await backend.aesGcmDecrypt(
      fromHex(v.key),
      fromHex(v.iv),
      fromHex(v.ciphertext + v.tag),
      aad,
    )
    expect(opened && toHex(opened)).toBe(v.plaintext)
  })

  it('treats an empty aad as no aad (GCM defines them the same)', async () => {
    const sealed = await backend.aesGcmEncrypt(KEY, IV, MESSAGE)
    const opened = await backend.aesGcmDecrypt(KEY, IV, sealed, new Uint8Array(0))
    expect(opened && toHex(opened)).toBe(toHex(MESSAGE))
  })

  it('resolves undefined when anything was changed', async () => {
    const sealed = await backend.aesGcmEncrypt(KEY, IV, MESSAGE, AAD)
    expect(sealed.byteLength).toBe(MESSAGE.byteLength + 16)
    const opened = await backend.aesGcmDecrypt(KEY, IV, sealed, AAD)
    expect(opened && toHex(opened)).toBe(toHex(MESSAGE))

    const otherKey = flip(KEY, 31, 1)
    const otherIv = flip(IV, 0, 0x80)
    expect(await backend.aesGcmDecrypt(otherKey, IV, sealed, AAD)).toBeUndefined()
    expect(await backend.aesGcmDecrypt(KEY, otherIv, sealed, AAD)).toBeUndefined()
    expect(await backend.aesGcmDecrypt(KEY, IV, sealed)).toBeUndefined()
    expect(
      await backend.aesGcmDecrypt(KEY, IV, sealed, new TextEncoder().encode('cs:test:aaD')),
    ).toBeUndefined()
    // Every single-bit flip, in the ciphertext and in the tag.
    for (let i = 0; i < sealed.byteLength; i++) {
      const tampered = flip(sealed, i, 1 << (i % 8))
      expect(await backend.aesGcmDecrypt(KEY, IV, tampered, AAD)).toBeUndefined()
    }
    // Truncated (a shorter tag must not pass), extended, and shorter than a tag.
    for (const bad of [
      sealed.subarray(0, sealed.byteLength - 1),
      sealed.subarray(0, sealed.byteLength - 4),
      sealed.subarray(1),
      Uint8Array.of(...sealed, 0),
      sealed.subarray(0, 15),
      new Uint8Array(0),
    ]) {
      expect(await backend.aesGcmDecrypt(KEY, IV, bad, AAD)).toBeUndefined()
    }
  })

  it('uses a fresh IV to give a different ciphertext', async () => {
    const a = await backend.aesGcmEncrypt(KEY, IV, MESSAGE)
    const b = await backend.aesGcmEncrypt(KEY, new Uint8Array(12), MESSAGE)
    expect(toHex(a)).not.toBe(toHex(b))
  })

  it('does not alias its inputs or outputs', async () => {
    const plaintext = MESSAGE.slice()
    const sealed = await backend.aesGcmEncrypt(KEY, IV, plaintext, AAD)
    plaintext.fill(0)
    const opened = await backend.aesGcmDecrypt(KEY, IV, sealed, AAD)
    expect(opened && toHex(opened)).toBe(toHex(MESSAGE))
    expect(opened?.buffer).not.toBe(sealed.buffer)
    expect(opened?.byteOffset).toBe(0)
    expect(opened?.buffer.byteLength).toBe(MESSAGE.byteLength)
  })

  it('refuses bad arguments with TypeError / RangeError, on both directions', async () => {
    for (const op of [backend.aesGcmEncrypt, backend.aesGcmDecrypt]) {
      const sealed = new Uint8Array(32)
      for (const bad of [undefined, 'k', [0], new ArrayBuffer(32)]) {
        expect(await rejects(op(bad as never, IV, sealed))).toBeInstanceOf(TypeError)
        expect(await rejects(op(KEY, bad as never, sealed))).toBeInstanceOf(TypeError)
        expect(await rejects(op(KEY, IV, bad as never))).toBeInstanceOf(TypeError)
      }
      expect(await rejects(op(KEY, IV, sealed, 'aad' as never))).toBeInstanceOf(TypeError)
      for (const size of [0, 16, 24, 31, 33]) {
        expect(await rejects(op(new Uint8Array(size), IV, sealed))).toBeInstanceOf(RangeError)
      }
      for (const size of [0, 8, 11, 13, 16]) {
        expect(await rejects(op(KEY, new Uint8Array(size), sealed))).toBeInstanceOf(RangeError)
      }
    }
  })
})

describe('cross-backend', () => {
  const sizes = [0, 1, 15, 16, 17, 1000]
  it.each(sizes)('web seals and node opens, and back (%i bytes)', async (size) => {
    const plaintext = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff)
    for (const [from, to] of [
      [webBackend, nodeBackend],
      [nodeBackend, webBackend],
    ] as const) {
      const key = await from.hkdfSha256(MESSAGE, new Uint8Array(0), AAD, 32)
      expect(toHex(await to.hkdfSha256(MESSAGE, new Uint8Array(0), AAD, 32))).toBe(toHex(key))
      const sealed = await from.aesGcmEncrypt(key, IV, plaintext, AAD)
      expect(toHex(await to.aesGcmEncrypt(key, IV, plaintext, AAD))).toBe(toHex(sealed))
      const opened = await to.aesGcmDecrypt(key, IV, sealed, AAD)
      expect(opened && toHex(opened)).toBe(toHex(plaintext))
      const tampered = flip(sealed, sealed.byteLength - 1, 0x40)
      expect(await to.aesGcmDecrypt(key, IV, tampered, AAD)).toBeUndefined()
    }
  })

  it('matches a raw node:crypto createCipheriv (ciphertext || tag layout)', async () => {
    const cipher = createCipheriv('aes-256-gcm', KEY, IV, { authTagLength: 16 })
    cipher.setAAD(AAD)
    const expected = Buffer.concat([cipher.update(MESSAGE), cipher.final(), cipher.getAuthTag()])
    for (const backend of BACKENDS) {
      expect(toHex(await backend.aesGcmEncrypt(KEY, IV, MESSAGE, AAD))).toBe(toHex(expected))
    }
  })
})

describe('core api (bound to the build backend)', () => {
  it('uses the Web Crypto backend in the source (non-node) build', () => {
    expect(cryptoBackendName).toBe('web')
  })

  it('derives, seals and opens', async () => {
    const { ikm, salt, info, length, okm } = HKDF_VECTORS[0]!
    expect(toHex(await hkdfSha256(ikm, salt, info, length))).toBe(okm)
    const sealed = await aesGcmEncrypt(KEY, IV, MESSAGE, AAD)
    expect(toHex(sealed)).toBe(toHex(await nodeBackend.aesGcmEncrypt(KEY, IV, MESSAGE, AAD)))
    const opened = await aesGcmDecrypt(KEY, IV, sealed, AAD)
    expect(opened && toHex(opened)).toBe(toHex(MESSAGE))
    expect(await aesGcmDecrypt(KEY, IV, sealed)).toBeUndefined()
  })
})
