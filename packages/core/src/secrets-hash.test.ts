import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nodeBackend } from './crypto/node.ts'
import { webBackend } from './crypto/web.ts'
import { toBase64Url, utf8 } from './encoding.ts'
import { generateSecret } from './secrets.ts'
import { hashSecret } from './secrets-hash.ts'

const reference = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64url')

describe('hashSecret', () => {
  it('is base64url(SHA-256(utf8(token))), 43 characters, unpadded', async () => {
    // SHA-256("abc"), FIPS 180-2 Appendix B.1, and SHA-256 of the empty string.
    expect(await hashSecret('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
    expect(await hashSecret('')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU')
    const token = generateSecret('cs_pt')
    const hash = await hashSecret(token)
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(hash).toBe(reference(token))
  })

  it('hashes the UTF-8 bytes of any string, the same on both crypto backends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 64 }), async (s) => {
        const hash = await hashSecret(s)
        expect(hash).toBe(reference(s))
        expect(toBase64Url(await webBackend.digest('sha-256', utf8(s)))).toBe(hash)
        expect(toBase64Url(await nodeBackend.digest('sha-256', utf8(s)))).toBe(hash)
        expect(nodeBackend.digestTextBase64UrlSync?.('sha-256', s)).toBe(hash)
      }),
      { numRuns: 200 },
    )
  })

  it('the Node backend hashes text straight to base64url for every digest', () => {
    const hashText = nodeBackend.digestTextBase64UrlSync
    expect(typeof hashText).toBe('function')
    for (const [algorithm, name] of [
      ['sha-256', 'sha256'],
      ['sha-512', 'sha512'],
      ['sha-1', 'sha1'],
    ] as const) {
      for (const text of ['', 'abc', 'é€😀', 'a\uD800b']) {
        expect(hashText?.(algorithm, text)).toBe(
          createHash(name).update(text, 'utf8').digest('base64url'),
        )
      }
    }
    expect(() => hashText?.('md5' as never, 'x')).toThrow(TypeError)
    expect(() => hashText?.('sha-256', new Uint8Array(1) as never)).toThrow(TypeError)
    expect(webBackend.digestTextBase64UrlSync).toBeUndefined()
  })

  it('rejects a non-string with TypeError', async () => {
    for (const v of [undefined, null, 1, new Uint8Array(2), {}]) {
      await expect(hashSecret(v as unknown as string)).rejects.toThrow(TypeError)
    }
  })
})
