import { fromBase64Url, toBase64Url } from '@countersign/core'
import { describe, expect, it } from 'vitest'
import { deriveTokenKey, importMasterKey, masterKeyBytes, seal, unseal } from './seal.ts'

const encoder = new TextEncoder()
const MASTER = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)
const TOKEN = 'pt_3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const INFO = 'cs:pt:payload'
const PAYLOAD = JSON.stringify({ auth: 'apiKey', file: 'plans/2026/site-7.dwg', note: 'é✓' })

/**
 * The sealing code before it moved onto core's AEAD functions, verbatim in behaviour: Web Crypto
 * HKDF `deriveKey` and AES-GCM `encrypt`, in the `v1.<iv>.<ct+tag>` format.
 */
const legacy = {
  masterKey(bytes: Uint8Array): Promise<CryptoKey> {
    return crypto.subtle.importKey('raw', bytes.slice(), { name: 'AES-GCM' }, false, [
      'encrypt',
      'decrypt',
    ])
  },
  async tokenKey(token: string, info: string): Promise<CryptoKey> {
    const ikm = await crypto.subtle.importKey('raw', encoder.encode(token), 'HKDF', false, [
      'deriveKey',
    ])
    return crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(info) },
      ikm,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    )
  },
  async seal(key: CryptoKey, plaintext: string, aad: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12))
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(aad) },
      key,
      encoder.encode(plaintext),
    )
    return `v1.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`
  },
  async unseal(key: CryptoKey, sealed: string, aad: string): Promise<string> {
    const [, iv, ct] = sealed.split('.')
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromBase64Url(iv ?? '').slice(), additionalData: encoder.encode(aad) },
      key,
      fromBase64Url(ct ?? '').slice(),
    )
    return new TextDecoder().decode(pt)
  },
}

describe('seal', () => {
  it('opens records sealed by the old Web Crypto code (master key)', async () => {
    const sealed = await legacy.seal(await legacy.masterKey(MASTER), PAYLOAD, 'cs:ak:secret:k1')
    const key = await importMasterKey(MASTER)
    expect(await unseal(key, sealed, 'cs:ak:secret:k1')).toBe(PAYLOAD)
    expect(await unseal(key, sealed, 'cs:ak:secret:k2')).toBeUndefined()
  })

  it('opens records sealed by the old Web Crypto code (token-derived key)', async () => {
    const sealed = await legacy.seal(await legacy.tokenKey(TOKEN, INFO), PAYLOAD, 'cs:pt:abc')
    expect(await unseal(await deriveTokenKey(TOKEN, INFO), sealed, 'cs:pt:abc')).toBe(PAYLOAD)
    expect(await unseal(await deriveTokenKey(`${TOKEN}x`, INFO), sealed, 'cs:pt:abc')).toBe(
      undefined,
    )
    expect(await unseal(await deriveTokenKey(TOKEN, 'other'), sealed, 'cs:pt:abc')).toBe(undefined)
  })

  it('seals records the old Web Crypto code opens (downgrade-safe)', async () => {
    const master = await seal(await importMasterKey(MASTER), PAYLOAD, 'cs:ak:secret:k1')
    expect(await legacy.unseal(await legacy.masterKey(MASTER), master, 'cs:ak:secret:k1')).toBe(
      PAYLOAD,
    )
    const derived = await seal(await deriveTokenKey(TOKEN, INFO), PAYLOAD, 'cs:pt:abc')
    expect(await legacy.unseal(await legacy.tokenKey(TOKEN, INFO), derived, 'cs:pt:abc')).toBe(
      PAYLOAD,
    )
  })

  it('keeps the v1.<iv>.<ciphertext+tag> format with a fresh IV each time', async () => {
    const key = await importMasterKey(MASTER)
    const a = await seal(key, PAYLOAD, 'aad')
    const b = await seal(key, PAYLOAD, 'aad')
    expect(a).not.toBe(b)
    const [version, iv, ct] = a.split('.')
    expect(version).toBe('v1')
    expect(fromBase64Url(iv ?? '').byteLength).toBe(12)
    expect(fromBase64Url(ct ?? '').byteLength).toBe(encoder.encode(PAYLOAD).byteLength + 16)
  })

  it('returns undefined for malformed or tampered values, never throwing', async () => {
    const key = await importMasterKey(MASTER)
    const sealed = await seal(key, PAYLOAD, 'aad')
    const [, iv = '', ct = ''] = sealed.split('.')
    const bytes = fromBase64Url(ct)
    bytes[0] = (bytes[0] ?? 0) ^ 1
    for (const bad of [
      `v1.${iv}.${toBase64Url(bytes)}`,
      `v2.${iv}.${ct}`,
      `v1.${iv}`,
      `v1.${iv}.${ct}.x`,
      `v1.${toBase64Url(new Uint8Array(8))}.${ct}`,
      `v1.${iv}.${toBase64Url(new Uint8Array(15))}`,
      `v1.${iv}.!!!`,
      '',
      42 as unknown as string,
    ]) {
      expect(await unseal(key, bad, 'aad')).toBeUndefined()
    }
  })

  it('returns undefined when the plaintext is not UTF-8', async () => {
    const raw = await legacy.masterKey(MASTER)
    const iv = new Uint8Array(12)
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode('aad') },
      raw,
      Uint8Array.of(0xff, 0xfe),
    )
    const sealed = `v1.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`
    expect(await unseal(await importMasterKey(MASTER), sealed, 'aad')).toBeUndefined()
  })

  it('checks the master key synchronously and copies it', async () => {
    expect(() => importMasterKey(new Uint8Array(16))).toThrow(TypeError)
    expect(() => importMasterKey('short')).toThrow(TypeError)
    expect(masterKeyBytes(toBase64Url(MASTER))).toEqual(MASTER)
    const input = MASTER.slice()
    const key = importMasterKey(input)
    input.fill(0)
    const sealed = await seal(await key, PAYLOAD, 'aad')
    expect(await legacy.unseal(await legacy.masterKey(MASTER), sealed, 'aad')).toBe(PAYLOAD)
  })
})
