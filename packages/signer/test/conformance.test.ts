/**
 * The signer against every RFC 9421 signing vector, on both crypto backends: the
 * `Signature-Input` it writes is the RFC's byte for byte, deterministic signatures (hmac-sha256
 * B.2.5, ed25519 B.2.6 and B.4, rsa-v1_5 Section 4.3) are reproduced exactly, and every other
 * signature verifies over the RFC's signature base.
 */
import { fromBase64, importKey, parseSignature, utf8, webBackend } from '@countersign/core'
import {
  caseMessage,
  isResponse,
  rfcKeys,
  SIGNING_CASES,
  type SigningCase,
  toRequest,
  toResponse,
} from '@countersign/testkit/rfc9421.ts'
import { describe, expect, it } from 'vitest'
import { signRequest, signResponse } from '../src/index.ts'
import type { SignRequestOptions } from '../src/types.ts'

const nodeBackend = { name: 'node', importKey }
const backends = [{ name: 'web', importKey: webBackend.importKey }, nodeBackend]

function optionsFor(c: SigningCase): Omit<SignRequestOptions, 'key'> {
  const p = Object.fromEntries(c.signatureParameters) as Record<string, string | number | undefined>
  return {
    label: c.label,
    components: c.coveredComponents,
    created: (p.created as number | undefined) ?? false,
    keyid: (p.keyid as string | undefined) ?? false,
    nonce: (p.nonce as string | undefined) ?? false,
    expires: (p.expires as number | undefined) ?? false,
    alg: p.alg !== undefined,
    ...(p.tag === undefined ? {} : { tag: p.tag as string }),
  }
}

describe.each(backends)('signing the RFC 9421 vectors ($name backend)', (backend) => {
  it.each(SIGNING_CASES.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const keys = await rfcKeys(backend, c.keyid, c.algorithm)
    expect(keys.sign.backend).toBe(backend.name)
    const message = caseMessage(c)
    const options = { ...optionsFor(c), key: keys.sign }
    let headers: Headers
    if (isResponse(message)) {
      const signed = await signResponse(toResponse(message), {
        ...options,
        ...(c.relatedRequest === undefined ? {} : { request: toRequest(c.relatedRequest) }),
      })
      headers = signed.headers
    } else {
      // Section 4.3: the proxy adds its signature next to the client's.
      const earlier = c.signatureInput.includes(', ')
        ? ([
            ['Signature-Input', c.signatureInput.split(', ')[0]!],
            ['Signature', c.signature.split(', ')[0]!],
          ] as [string, string][])
        : []
      headers = (await signRequest(toRequest(message, earlier), options)).headers
    }
    expect(headers.get('signature-input')).toBe(c.signatureInput)
    const produced = parseSignature(headers.get('signature')!).get(c.label)!
    if (c.deterministic) {
      expect(headers.get('signature')).toBe(c.signature)
    } else {
      expect(produced).not.toEqual(fromBase64(c.signatureValueBase64))
    }
    expect(await keys.verify.verify(utf8(c.signatureBase), produced)).toBe(true)
  })
})
