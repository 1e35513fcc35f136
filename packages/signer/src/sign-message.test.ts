import {
  createSignatureBase,
  type FieldLine,
  generateKeyPair,
  importKey,
  type Key,
  parseSignature,
  parseSignatureInput,
  utf8,
} from '@countersign/core'
import { describe, expect, it } from 'vitest'
import { createSigner, signMessage, signRequest } from './index.ts'

const key = await importKey(utf8('a shared secret of at least 32 bytes!!'), {
  algorithm: 'hmac-sha256',
  keyId: 'client-1',
})
const URL_ = 'https://api.example.com/v1/orders?x=1'
const fixed = { key, created: 1_767_225_600, nonce: 'fixed-nonce' }

async function verifies(
  method: string,
  url: string,
  lines: FieldLine[],
  fields: Record<string, string>,
): Promise<boolean> {
  const all: FieldLine[] = [...lines, ...Object.entries(fields)]
  const member = parseSignatureInput(fields['signature-input'] as string).get('sig1')!
  const signature = parseSignature(fields.signature as string).get('sig1')!
  const base = createSignatureBase(
    { method, url, headers: all },
    member.components,
    member.innerList[1],
  )
  return key.verify(base.bytes, signature)
}

describe('signMessage', () => {
  it('returns the fields to add, and they verify over the message', async () => {
    const lines: FieldLine[] = [['content-type', 'application/json']]
    const fields = await signMessage(
      { method: 'POST', url: URL_, headers: lines, body: '{"id":1}' },
      { key },
    )
    expect(Object.keys(fields).sort()).toEqual(['content-digest', 'signature', 'signature-input'])
    expect(fields['signature-input']).toMatch(
      /^sig1=\("@method" "@target-uri" "content-digest" "content-type"\);created=\d+;keyid="client-1";nonce="[A-Za-z0-9_-]{22}"$/,
    )
    expect(await verifies('POST', URL_, lines, fields as unknown as Record<string, string>)).toBe(
      true,
    )
    expect(lines).toEqual([['content-type', 'application/json']]) // not modified
  })

  it('signs exactly what signRequest signs (same created and nonce)', async () => {
    const headers = { 'content-type': 'application/json' }
    const fromMessage = await signMessage(
      { method: 'POST', url: URL_, headers, body: '{"id":1}' },
      fixed,
    )
    const signed = await signRequest(
      new Request(URL_, { method: 'POST', headers, body: '{"id":1}' }),
      fixed,
    )
    expect(fromMessage).toEqual({
      'content-digest': signed.headers.get('content-digest'),
      'signature-input': signed.headers.get('signature-input'),
      signature: signed.headers.get('signature'),
    })
  })

  it('takes Headers, field lines or a record, and a string or bytes body, alike', async () => {
    const outputs = await Promise.all([
      signMessage(
        {
          method: 'PUT',
          url: URL_,
          headers: new Headers({ 'Content-Type': 'text/plain' }),
          body: 'é',
        },
        fixed,
      ),
      signMessage(
        { method: 'PUT', url: URL_, headers: [['Content-Type', 'text/plain']], body: utf8('é') },
        fixed,
      ),
      signMessage(
        { method: 'PUT', url: new URL(URL_), headers: { 'content-type': 'text/plain' }, body: 'é' },
        fixed,
      ),
    ])
    expect(outputs[1]).toEqual(outputs[0])
    expect(outputs[2]).toEqual(outputs[0])
  })

  it('adds no Content-Digest without a body, and keeps a matching one already there', async () => {
    const get = await signMessage({ method: 'GET', url: URL_ }, { key })
    expect(get['content-digest']).toBeUndefined()
    expect(get['signature-input']).toContain('("@method" "@target-uri")')
    const first = await signMessage({ method: 'POST', url: URL_, body: 'x' }, { key })
    const kept = await signMessage(
      {
        method: 'POST',
        url: URL_,
        headers: { 'content-digest': first['content-digest'] as string },
        body: 'x',
      },
      { key },
    )
    expect(kept['content-digest']).toBeUndefined()
    expect(kept['signature-input']).toContain('"content-digest"')
    await expect(
      signMessage(
        {
          method: 'POST',
          url: URL_,
          headers: { 'content-digest': first['content-digest'] as string },
          body: 'y',
        },
        { key },
      ),
    ).rejects.toThrow(TypeError)
  })

  it('appends to signatures already on the message', async () => {
    const first = await signMessage({ method: 'GET', url: URL_ }, { key })
    const second = await signMessage(
      {
        method: 'GET',
        url: URL_,
        headers: { 'signature-input': first['signature-input'], signature: first.signature },
      },
      { key },
    )
    expect([...parseSignatureInput(second['signature-input']).keys()]).toEqual(['sig1', 'sig2'])
    expect(second.signature.startsWith(`${first.signature}, sig2=:`)).toBe(true)
  })

  it('refuses malformed message parts with a TypeError', async () => {
    const bad = [
      null,
      { method: '', url: URL_ },
      { method: 'GET', url: 42 },
      { method: 'GET', url: 'not a url' },
      { method: 'POST', url: URL_, body: 42 },
      { method: 'GET', url: URL_, headers: 'x' },
      { method: 'GET', url: URL_, headers: [['a']] },
      { method: 'GET', url: URL_, headers: { a: 1 } },
    ]
    for (const message of bad) {
      await expect(signMessage(message as never, { key })).rejects.toThrow(TypeError)
    }
  })

  it('createSigner().signMessage takes per-call overrides', async () => {
    const signer = createSigner({ key, tag: 'orders' })
    const fields = await signer.signMessage(
      { method: 'GET', url: URL_ },
      { nonce: 'n-1', created: 5 },
    )
    expect(fields['signature-input']).toBe(
      'sig1=("@method" "@target-uri");created=5;keyid="client-1";nonce="n-1";tag="orders"',
    )
    const again = await signer.signMessage({ method: 'GET', url: URL_ })
    expect(again['signature-input']).not.toContain('n-1')
  })

  describe('offload', () => {
    const message = {
      method: 'POST',
      url: URL_,
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    }
    const sameFields = { created: 1_767_225_600, nonce: 'n-offload' }

    /** A key whose signSync and sign count their calls. */
    function counting(inner: Key): { key: Key; calls: { sync: number; async: number } } {
      const calls = { sync: 0, async: 0 }
      const wrapped: Key = {
        ...inner,
        publicJwk: () => inner.publicJwk(),
        verify: (d, s) => inner.verify(d, s),
        sign: (data) => {
          calls.async++
          return inner.sign(data)
        },
        signSync: (data) => {
          calls.sync++
          return inner.signSync!(data)
        },
      }
      return { key: wrapped, calls }
    }

    it('signs with a private key through key.sign, or the function given, with the same result', async () => {
      const { privateKey } = await generateKeyPair('ed25519', { keyId: 'ed-1' })
      const inline = counting(privateKey)
      const expected = await signMessage(message, { key: inline.key, ...sameFields })
      expect(inline.calls).toEqual({ sync: 1, async: 0 })

      const pooled = counting(privateKey)
      expect(await signMessage(message, { key: pooled.key, offload: true, ...sameFields })).toEqual(
        expected,
      )
      expect(pooled.calls).toEqual({ sync: 0, async: 1 })

      const elsewhere = counting(privateKey)
      const seen: [Key, Uint8Array][] = []
      const signer = createSigner({
        key: elsewhere.key,
        offload: async (k, data) => {
          seen.push([k, data])
          return k.signSync!(data)
        },
      })
      expect(await signer.signMessage(message, sameFields)).toEqual(expected)
      expect(elsewhere.calls).toEqual({ sync: 1, async: 0 }) // only through the function
      expect(seen).toHaveLength(1)
      expect(seen[0]![0]).toBe(elsewhere.key)
      const member = parseSignatureInput(expected['signature-input']).get('sig1')!
      const base = createSignatureBase(
        {
          method: 'POST',
          url: URL_,
          headers: [
            ['content-type', 'text/plain'],
            ['content-digest', expected['content-digest']!],
          ],
        },
        member.components,
        member.innerList[1],
      )
      expect(seen[0]![1]).toEqual(base.bytes) // the exact signature base
    })

    it('never hands off an HMAC key', async () => {
      const hmac = counting(key)
      let called = 0
      const fields = await signMessage(message, {
        key: hmac.key,
        offload: async () => {
          called++
          return new Uint8Array(32)
        },
        ...sameFields,
      })
      expect(called).toBe(0)
      expect(hmac.calls).toEqual({ sync: 1, async: 0 })
      expect(fields).toEqual(await signMessage(message, { key, ...sameFields }))
    })

    it('passes a failure of the offload function to the caller', async () => {
      const { privateKey } = await generateKeyPair('ed25519')
      await expect(
        signMessage(message, {
          key: privateKey,
          offload: async () => {
            throw new Error('worker gone')
          },
        }),
      ).rejects.toThrow('worker gone')
    })

    it('keeps the option across per-call Accept-Signature plans, and refuses other values', async () => {
      const { privateKey } = await generateKeyPair('ed25519', { keyId: 'ed-2' })
      const pooled = counting(privateKey)
      const signer = createSigner({ key: pooled.key, offload: true })
      await signer.signMessage(message, { acceptSignature: 'sig1=("@method");keyid="ed-2"' })
      expect(pooled.calls).toEqual({ sync: 0, async: 1 })
      for (const offload of ['yes', 1, {}]) {
        expect(() => createSigner({ key, offload: offload as never })).toThrow(
          /offload must be a boolean or a function/,
        )
      }
    })
  })
})
