/**
 * verifyRequest against every RFC 9421 request vector, on both crypto backends (keys imported
 * with `webBackend` and with the default node-condition `importKey`): each published signature
 * verifies, the B.4 transformations verify or fail as the RFC says, and the Section 4.3 proxy
 * signature verifies next to a client signature that no longer does.
 */
import { createMemoryStore, importKey, webBackend } from '@countersign/core'
import {
  caseMessage,
  isResponse,
  rfcKeys,
  SIGNING_CASES,
  type SigningCase,
  toRequest,
} from '@countersign/testkit/rfc9421.ts'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { verifyRequest } from '../src/index.ts'
import type { VerifyRequestOptions } from '../src/types.ts'

const backends = [
  { name: 'web', importKey: webBackend.importKey },
  { name: 'node', importKey },
]

const REQUEST_CASES = SIGNING_CASES.filter((c) => !isResponse(caseMessage(c)))

function createdOf(c: SigningCase): number {
  return c.signatureParameters.find(([n]) => n === 'created')![1] as number
}

afterEach(() => {
  vi.useRealTimers()
})

describe.each(backends)('RFC 9421 request vectors verify ($name backend)', (backend) => {
  async function optionsFor(
    extra: Partial<VerifyRequestOptions> = {},
  ): Promise<VerifyRequestOptions> {
    const keys = new Map<string, Awaited<ReturnType<typeof rfcKeys>>['verify']>()
    for (const other of SIGNING_CASES) {
      const { verify } = await rfcKeys(backend, other.keyid, other.algorithm)
      expect(verify.backend).toBe(backend.name)
      keys.set(other.keyid, verify)
    }
    return {
      keys: (keyId) => keys.get(keyId),
      requiredComponents: [],
      requireNonce: false,
      nonceStore: createMemoryStore(),
      ...extra,
    }
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
  })

  it.each(REQUEST_CASES.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    vi.setSystemTime(createdOf(c) * 1000)
    const request = toRequest(caseMessage(c), [
      ['Signature-Input', c.signatureInput],
      ['Signature', c.signature],
    ])
    const verified = await verifyRequest(
      request,
      await optionsFor(c.signatureInput.includes(', ') ? {} : { label: c.label }),
    )
    expect(verified.label).toBe(c.label)
    expect(verified.keyId).toBe(c.keyid)
    expect(verified.algorithm).toBe(c.algorithm)
    expect(verified.components).toEqual(c.coveredComponents)
    expect(new TextDecoder().decode(verified.body)).toBe(caseMessage(c).body ?? '')
  })

  const b4 = SIGNING_CASES.find((c) => c.id === 'B.4')!
  it.each(b4.transformedVariants!.map((v) => [v.description, v] as const))(
    'B.4 variant: %s',
    async (_d, variant) => {
      vi.setSystemTime(createdOf(b4) * 1000)
      const request = toRequest(variant.message, [
        ['Signature-Input', b4.signatureInput],
        ['Signature', b4.signature],
      ])
      const result = verifyRequest(request, await optionsFor())
      if (variant.expectVerify) {
        await expect(result).resolves.toMatchObject({ label: 'transform' })
      } else {
        await expect(result).rejects.toMatchObject({ code: 'signature_invalid' })
      }
    },
  )

  it('4.3: only the proxy signature verifies on the forwarded request; label selects it', async () => {
    const proxy = SIGNING_CASES.find((c) => c.id === '4.3-proxy')!
    vi.setSystemTime(createdOf(proxy) * 1000)
    const request = () =>
      toRequest(caseMessage(proxy), [
        ['Signature-Input', proxy.signatureInput],
        ['Signature', proxy.signature],
      ])
    await expect(
      verifyRequest(request(), await optionsFor({ label: 'sig1' })),
    ).rejects.toMatchObject({
      code: 'signature_invalid',
    })
    expect((await verifyRequest(request(), await optionsFor({ label: 'proxy_sig' }))).keyId).toBe(
      'test-key-rsa',
    )
    expect((await verifyRequest(request(), await optionsFor())).label).toBe('proxy_sig')
  })

  it('B.2: the draft Content-Digest of the test request is refused (digest over exact bytes)', async () => {
    const c = SIGNING_CASES.find((x) => x.id === 'B.2.5')!
    vi.setSystemTime(createdOf(c) * 1000)
    const message = caseMessage(c)
    const request = toRequest({ ...message, body: `${message.body} ` }, [
      ['Signature-Input', c.signatureInput],
      ['Signature', c.signature],
    ])
    await expect(verifyRequest(request, await optionsFor())).rejects.toMatchObject({
      code: 'digest_mismatch',
    })
  })
})
