import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { toBase64, toHex } from '../encoding.ts'
import { decodePem, normalizePem } from './pem.ts'

const KEYS = JSON.parse(
  readFileSync(new URL('../../../testkit/vectors/rfc/rfc9421-keys.json', import.meta.url), 'utf8'),
).keys as Record<string, { publicKeyPem: string; privateKeyPem: string }>

const RSA = KEYS['test-key-rsa']!
const PSS = KEYS['test-key-rsa-pss']!
const EC = KEYS['test-key-ecc-p256']!
const ED = KEYS['test-key-ed25519']!

function pem(label: string, der: Uint8Array): string {
  const body = toBase64(der).replace(/(.{64})/g, '$1\n')
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`
}

const RSA_ENCRYPTION_ID = '300d06092a864886f70d0101010500'

describe('normalizePem', () => {
  it('wraps a PKCS#1 public key in the SPKI node:crypto itself produces', () => {
    const out = normalizePem(RSA.publicKeyPem, 'rsa-v1_5-sha256')
    expect(out.format).toBe('spki')
    const expected = createPublicKey(RSA.publicKeyPem).export({ format: 'der', type: 'spki' })
    expect(toHex(out.der)).toBe(toHex(expected))
  })

  it('wraps a PKCS#1 private key in PKCS#8', () => {
    const out = normalizePem(RSA.privateKeyPem, 'rsa-v1_5-sha256')
    expect(out.format).toBe('pkcs8')
    const expected = createPrivateKey(RSA.privateKeyPem).export({ format: 'der', type: 'pkcs8' })
    expect(toHex(out.der)).toBe(toHex(expected))
  })

  it('wraps a SEC1 P-256 private key in PKCS#8 holding the same key', () => {
    const out = normalizePem(EC.privateKeyPem, 'ecdsa-p256-sha256')
    expect(out.format).toBe('pkcs8')
    const viaWrap = createPrivateKey({ key: Buffer.from(out.der), format: 'der', type: 'pkcs8' })
    expect(viaWrap.export({ format: 'jwk' })).toEqual(
      createPrivateKey(EC.privateKeyPem).export({ format: 'jwk' }),
    )
  })

  it('relabels an id-RSASSA-PSS private key as rsaEncryption', () => {
    expect(createPrivateKey(PSS.privateKeyPem).asymmetricKeyType).toBe('rsa-pss')
    const out = normalizePem(PSS.privateKeyPem, 'rsa-pss-sha512')
    expect(toHex(out.der)).toContain(RSA_ENCRYPTION_ID)
    const key = createPrivateKey({ key: Buffer.from(out.der), format: 'der', type: 'pkcs8' })
    expect(key.asymmetricKeyType).toBe('rsa')
    expect(createPublicKey(key).export({ format: 'jwk' })).toEqual(
      createPublicKey(PSS.publicKeyPem).export({ format: 'jwk' }),
    )
  })

  it('relabels an id-RSASSA-PSS public key as rsaEncryption', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
    const spki = pss.publicKey.export({ format: 'der', type: 'spki' })
    const out = normalizePem(pem('PUBLIC KEY', spki), 'rsa-pss-sha512')
    const key = createPublicKey({ key: Buffer.from(out.der), format: 'der', type: 'spki' })
    expect(key.asymmetricKeyType).toBe('rsa')
    const data = Buffer.from('pss')
    const options = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }
    const signature = sign('sha512', data, { key: pss.privateKey, ...options })
    expect(verify('sha512', data, { key, ...options }, signature)).toBe(true)
  })

  it('passes plain SPKI and PKCS#8 through unchanged', () => {
    for (const [text, algorithm, label] of [
      [ED.publicKeyPem, 'ed25519', 'PUBLIC KEY'],
      [ED.privateKeyPem, 'ed25519', 'PRIVATE KEY'],
      [EC.publicKeyPem, 'ecdsa-p256-sha256', 'PUBLIC KEY'],
      [PSS.publicKeyPem, 'rsa-pss-sha512', 'PUBLIC KEY'],
    ] as const) {
      const { der } = decodePem(text)
      expect(decodePem(pem(label, der)).label).toBe(label)
      expect(toHex(normalizePem(text, algorithm).der)).toBe(toHex(der))
    }
  })

  it('accepts CRLF line endings and surrounding whitespace', () => {
    const crlf = `\n  ${ED.publicKeyPem.replace(/\n/g, '\r\n')}  \n`
    expect(toHex(normalizePem(crlf, 'ed25519').der)).toBe(toHex(decodePem(ED.publicKeyPem).der))
  })

  it('rejects truncated, over-long and padded DER', () => {
    const { der } = decodePem(ED.publicKeyPem)
    const cases = [
      der.subarray(0, der.length - 1), // truncated
      Uint8Array.of(...der, 0), // trailing byte
      Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, ...der.subarray(2)), // absurd length
      Uint8Array.of(0x30, 0x80, ...der.subarray(2)), // indefinite length
      Uint8Array.of(0x31, ...der.subarray(1)), // SET, not SEQUENCE
    ]
    for (const bad of cases) {
      expect(() => normalizePem(pem('PUBLIC KEY', bad), 'ed25519')).toThrow(TypeError)
    }
  })

  it('rejects keys that do not fit the algorithm', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const sec1 = p384.privateKey.export({ format: 'der', type: 'sec1' })
    expect(() => normalizePem(pem('EC PRIVATE KEY', sec1), 'ecdsa-p256-sha256')).toThrow(
      /does not fit/,
    )
    expect(() => normalizePem(ED.publicKeyPem, 'ecdsa-p256-sha256')).toThrow(/does not fit/)
    expect(() => normalizePem(EC.publicKeyPem, 'rsa-pss-sha512')).toThrow(/does not fit/)
    expect(() => normalizePem(RSA.publicKeyPem, 'ed25519')).toThrow(/does not fit/)
    expect(() => normalizePem(EC.privateKeyPem, 'ed25519')).toThrow(/does not fit/)
    expect(() => normalizePem(ED.publicKeyPem, 'hmac-sha256')).toThrow(/raw secret/)
  })

  it('rejects non-strings, unknown labels and encrypted keys', () => {
    expect(() => decodePem(42 as never)).toThrow(TypeError)
    expect(() =>
      normalizePem('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----', 'ed25519'),
    ).toThrow(/unsupported PEM type/)
    expect(() =>
      normalizePem(
        '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----',
        'ed25519',
      ),
    ).toThrow(/encrypted/)
  })
})
