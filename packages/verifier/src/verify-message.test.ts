import { createMemoryStore, type FieldLine, importKey, utf8 } from '@countersign/core'
import { signMessage } from '@countersign/signer'
import { describe, expect, it } from 'vitest'
import { createVerifier, type ReceivedRequest, verifyMessage } from './index.ts'

const key = await importKey(utf8('a shared secret of at least 32 bytes!!'), {
  algorithm: 'hmac-sha256',
  keyId: 'k1',
})
const URL_ = 'https://api.example.com/v1/orders?x=1'
const options = () => ({ keys: () => key, nonceStore: createMemoryStore() })

async function signed(body = '{"id":1}', extra: Partial<Parameters<typeof signMessage>[1]> = {}) {
  const base: FieldLine[] = [['Content-Type', 'application/json']]
  const fields = await signMessage(
    { method: 'POST', url: URL_, headers: base, body },
    { key, ...extra },
  )
  const lines: FieldLine[] = [...base, ...Object.entries(fields)]
  return { method: 'POST', url: URL_, headers: lines, body: utf8(body) }
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (
      (error as { code?: string }).code ??
      (error instanceof TypeError ? 'TypeError' : String(error))
    )
  }
  return 'verified'
}

describe('verifyMessage', () => {
  it('verifies field lines, Headers and a record alike, and returns the body', async () => {
    const m = await signed()
    const verified = await verifyMessage(m, options())
    expect(verified).toMatchObject({ keyId: 'k1', label: 'sig1', algorithm: 'hmac-sha256' })
    expect(new TextDecoder().decode(verified.body)).toBe('{"id":1}')
    const asHeaders = await signed()
    expect(
      await codeOf(
        verifyMessage(
          { ...asHeaders, headers: new Headers(asHeaders.headers as [string, string][]) },
          options(),
        ),
      ),
    ).toBe('verified')
    const asRecord = await signed()
    const record: Record<string, string | string[]> = Object.fromEntries(asRecord.headers)
    record['x-many'] = ['a', 'b']
    expect(await codeOf(verifyMessage({ ...asRecord, headers: record }, options()))).toBe(
      'verified',
    )
  })

  it('refuses a record whose array value repeats a single field', async () => {
    const m = await signed()
    const record: Record<string, string | string[]> = Object.fromEntries(m.headers)
    record.host = ['a.example', 'b.example']
    expect(await codeOf(verifyMessage({ ...m, headers: record }, options()))).toBe(
      'duplicate_header',
    )
  })

  it('refuses a body over maxBodyBytes with body_too_large', async () => {
    const m = await signed('x'.repeat(100))
    expect(await codeOf(verifyMessage(m, { ...options(), maxBodyBytes: 10 }))).toBe(
      'body_too_large',
    )
  })

  it('reads @request-target from requestTarget (absolute form)', async () => {
    const fields = await signMessage(
      { method: 'GET', url: URL_ },
      { key, components: ['@method', '@request-target'] },
    )
    const lines: FieldLine[] = Object.entries(fields)
    const v = createVerifier({ ...options(), requiredComponents: ['@method'] })
    expect(await codeOf(v.verifyMessage({ method: 'GET', url: URL_, headers: lines }))).toBe(
      'verified',
    )
    const lines2: FieldLine[] = Object.entries(
      await signMessage(
        { method: 'GET', url: URL_ },
        { key, components: ['@method', '@request-target'] },
      ),
    )
    expect(
      await codeOf(
        v.verifyMessage({ method: 'GET', url: URL_, headers: lines2, requestTarget: URL_ }),
      ),
    ).toBe('signature_invalid')
  })

  it('refuses malformed message parts with a TypeError', async () => {
    const m = await signed()
    const bad: unknown[] = [
      null,
      { ...m, method: 7 },
      { ...m, url: 7 },
      { ...m, body: '{"id":1}' },
      { ...m, headers: 'x' },
      { ...m, headers: [['a']] },
      { ...m, headers: { a: 1 } },
      { ...m, requestTarget: 5 },
    ]
    for (const message of bad) {
      expect(await codeOf(verifyMessage(message as ReceivedRequest, options()))).toBe('TypeError')
    }
  })

  it('acceptSignature tailors the components to a received message', () => {
    const v = createVerifier(options())
    expect(v.acceptSignature({ method: 'GET', url: URL_, headers: [] })).toBe(
      'sig1=("@method" "@target-uri");created;nonce',
    )
    expect(
      v.acceptSignature({
        method: 'POST',
        url: URL_,
        headers: [['content-type', 'text/plain']],
        body: utf8('x'),
      }),
    ).toBe('sig1=("@method" "@target-uri" "content-digest" "content-type");created;nonce')
  })
})
