/**
 * RFC 9421 and RFC 9530 conformance: every vector in packages/testkit/vectors/rfc, on both crypto
 * backends. Signature bases must match byte for byte; deterministic signatures (hmac-sha256,
 * ed25519, rsa-v1_5) must be reproduced exactly; every published signature must verify.
 */
import { describe, expect, it } from 'vitest'
import { nodeBackend } from '../crypto/node.ts'
import { webBackend } from '../crypto/web.ts'
import { fromBase64, toBase64, utf8 } from '../encoding.ts'
import { isCountersignError } from '../errors.ts'
import { parseComponentIdentifier } from './components.ts'
import { createContentDigest, parseContentDigest, verifyContentDigest } from './content-digest.ts'
import type { HttpMessage } from './message.ts'
import { createSignatureBase, type SignatureParams } from './signature-base.ts'
import {
  parseAcceptSignature,
  parseSignature,
  parseSignatureInput,
  serializeAcceptSignature,
  serializeSignatures,
} from './signature-fields.ts'
import {
  caseMessage,
  rfcKeys,
  SECTION_EXAMPLES,
  SIGNING_CASES,
  splitBaseLine,
  toHttpMessage,
  type VectorMessage,
  vectors,
} from './test-vectors.ts'

function caseHttpMessage(c: (typeof SIGNING_CASES)[number]): HttpMessage {
  return toHttpMessage(caseMessage(c), c.relatedRequest)
}

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isCountersignError(error) ? error.code : `throws ${String(error)}`
  }
  return undefined
}

describe('RFC 9421 signing cases: signature bases', () => {
  it.each(SIGNING_CASES.map((c) => [c.id, c] as const))(
    '%s: base from Signature-Input is byte-exact',
    (_id, c) => {
      const members = parseSignatureInput(c.signatureInput)
      const member = members.get(c.label)
      expect(member).toBeDefined()
      const base = createSignatureBase(caseHttpMessage(c), member!.components, member!.innerList[1])
      expect(base.text).toBe(c.signatureBase)
      expect(base.bytes).toEqual(utf8(c.signatureBase))
      expect(base.signatureParams).toBe(c.signatureParamsValue)
      expect(parseSignature(c.signature).get(c.label)).toEqual(fromBase64(c.signatureValueBase64))
    },
  )

  it.each(SIGNING_CASES.map((c) => [c.id, c] as const))(
    '%s: base from component list and params is byte-exact',
    (_id, c) => {
      const params: SignatureParams = Object.fromEntries(c.signatureParameters)
      const base = createSignatureBase(
        caseHttpMessage(c),
        c.coveredComponents.map(parseComponentIdentifier),
        params,
      )
      expect(base.text).toBe(c.signatureBase)
      expect(`${c.label}=${base.signatureParams}`).toBe(
        c.signatureInput.split(', ').find((m) => m.startsWith(`${c.label}=`)),
      )
    },
  )
})

describe.each([webBackend, nodeBackend])('RFC 9421 signatures on the $name backend', (backend) => {
  it.each(SIGNING_CASES.map((c) => [c.id, c] as const))(
    '%s verifies; deterministic ones are reproduced',
    async (_id, c) => {
      const keys = await rfcKeys(backend, c.keyid, c.algorithm)
      const member = parseSignatureInput(c.signatureInput).get(c.label)!
      const base = createSignatureBase(caseHttpMessage(c), member.components, member.innerList[1])
      const signature = fromBase64(c.signatureValueBase64)
      expect(await keys.verify.verify(base.bytes, signature)).toBe(true)
      const fresh = await keys.sign.sign(base.bytes)
      expect(await keys.verify.verify(base.bytes, fresh)).toBe(true)
      if (c.deterministic) {
        expect(toBase64(fresh)).toBe(c.signatureValueBase64)
        const { signatureInput, signature: field } = serializeSignatures([
          { label: c.label, innerList: base.innerList, signature: fresh },
        ])
        if (!c.signatureInput.includes(', ')) {
          expect(signatureInput).toBe(c.signatureInput)
          expect(field).toBe(c.signature)
        }
      }
      // A changed base never verifies.
      const tampered = base.bytes.slice()
      tampered[0]! ^= 1
      expect(await keys.verify.verify(tampered, signature)).toBe(false)
    },
  )

  const b4 = SIGNING_CASES.find((c) => c.id === 'B.4')!
  it.each(b4.transformedVariants!.map((v) => [v.description, v] as const))(
    'B.4 variant: %s',
    async (_d, variant) => {
      const keys = await rfcKeys(backend, b4.keyid, b4.algorithm)
      const member = parseSignatureInput(b4.signatureInput).get(b4.label)!
      const base = createSignatureBase(
        toHttpMessage(variant.message),
        member.components,
        member.innerList[1],
      )
      expect(await keys.verify.verify(base.bytes, fromBase64(b4.signatureValueBase64))).toBe(
        variant.expectVerify,
      )
    },
  )

  it('B.3: the proxy base differs from the client original (authority rewritten)', () => {
    const b3 = SIGNING_CASES.find((c) => c.id === 'B.3')! as (typeof SIGNING_CASES)[number] & {
      clientOriginalRequest: VectorMessage
    }
    const member = parseSignatureInput(b3.signatureInput).get(b3.label)!
    const original = toHttpMessage(b3.clientOriginalRequest)
    // The original has no Client-Cert field: the proxy's covered field is missing there.
    expect(code(() => createSignatureBase(original, member.components, member.innerList[1]))).toBe(
      'component_missing',
    )
  })
})

describe('RFC 9421 Section 4.3: several signatures in one field', () => {
  const proxy = SIGNING_CASES.find((c) => c.id === '4.3-proxy')!
  it('parses both members and re-serialises them', () => {
    const inputs = parseSignatureInput(proxy.signatureInput)
    const signatures = parseSignature(proxy.signature)
    expect([...inputs.keys()]).toEqual(['sig1', 'proxy_sig'])
    expect([...signatures.keys()]).toEqual(['sig1', 'proxy_sig'])
    const { signatureInput, signature } = serializeSignatures(
      [...inputs.values()].map((m) => ({
        label: m.label,
        innerList: m.innerList,
        signature: signatures.get(m.label)!,
      })),
    )
    expect(signatureInput).toBe(proxy.signatureInput)
    expect(signature).toBe(proxy.signature)
    expect(inputs.get('proxy_sig')!.params).toEqual({
      created: 1618884480,
      keyid: 'test-key-rsa',
      alg: 'rsa-v1_5-sha256',
      expires: 1618884540,
    })
  })
})

describe('RFC 9421 component value examples', () => {
  type Example = {
    section: string
    title: string
    parsedHeaders?: [string, string][]
    header?: [string, string]
    headers?: [string, string][]
    request?: VectorMessage
    response?: VectorMessage
    rawMessage?: string
    expectedBaseLines?: string[]
    expectedBaseLine?: string
    expectedValue?: string
    invalidIfNotEncoded?: string[]
    acceptSignature?: string
  }
  const examples = SECTION_EXAMPLES.componentValueExamples as Example[]

  function messageOf(example: Example): HttpMessage {
    if (example.request !== undefined) {
      return toHttpMessage({ ...example.request, type: 'request' })
    }
    if (example.response !== undefined) {
      return toHttpMessage({ ...example.response, type: 'response' })
    }
    const headers =
      example.parsedHeaders ?? example.headers ?? (example.header ? [example.header] : [])
    return { method: 'GET', url: 'https://www.example.com/', headers }
  }

  function lineFor(message: HttpMessage, line: string): string {
    const [id] = splitBaseLine(line)
    const base = createSignatureBase(
      message,
      [parseComponentIdentifier(id)],
      {},
      {
        structuredFields: { 'example-dict': 'dictionary' },
      },
    )
    return base.text.split('\n')[0]!
  }

  const withLines = examples.filter(
    (e) => e.expectedBaseLines !== undefined || e.expectedBaseLine !== undefined,
  )
  it.each(
    withLines
      .filter((e) => e.rawMessage === undefined)
      .map((e) => [`${e.section} ${e.title}`, e] as const),
  )('%s', (_t, example) => {
    const message = messageOf(example)
    const lines = example.expectedBaseLines ?? [example.expectedBaseLine!]
    for (const line of lines) {
      expect(lineFor(message, line)).toBe(line)
    }
    for (const wrong of example.invalidIfNotEncoded ?? []) {
      expect(lines).not.toContain(wrong)
    }
  })

  it('2.1.4: trailer fields (;tr) are refused, the rest of the response is readable', () => {
    const message: HttpMessage = {
      status: 200,
      headers: [
        ['Content-Type', 'text/plain'],
        ['Transfer-Encoding', 'chunked'],
        ['Trailer', 'Expires'],
      ],
    }
    expect(lineFor(message, '"@status": 200')).toBe('"@status": 200')
    expect(lineFor(message, '"trailer": Expires')).toBe('"trailer": Expires')
    expect(code(() => lineFor(message, '"expires";tr: x'))).toBe('component_unsupported')
  })

  it('2.3: @signature-params keeps the parameter order given', () => {
    const example = examples.find((e) => e.section === '2.3')!
    const message: HttpMessage = {
      method: 'GET',
      url: 'https://example.com/',
      headers: [
        ['Date', 'x'],
        ['Cache-Control', 'max-age=60'],
      ],
    }
    const base = createSignatureBase(
      message,
      ['@target-uri', '@authority', 'date', 'cache-control'].map(parseComponentIdentifier),
      {
        keyid: 'test-key-rsa-pss',
        alg: 'rsa-pss-sha512',
        created: 1618884475,
        expires: 1618884775,
      },
    )
    expect(base.signatureParams).toBe(example.expectedValue)
  })

  it('5.1: Accept-Signature parses and re-serialises exactly', () => {
    const example = examples.find((e) => e.section === '5.1')!
    const members = parseAcceptSignature(example.acceptSignature!)
    const sig1 = members.get('sig1')!
    expect(sig1.components.map((c) => c.id)).toEqual([
      '"@method"',
      '"@target-uri"',
      '"@authority"',
      '"content-digest"',
      '"cache-control"',
    ])
    expect(sig1.params.get('created')).toBe(true)
    expect(sig1.params.get('tag')).toBe('app-123')
    expect(serializeAcceptSignature([...members.values()])).toBe(example.acceptSignature)
  })

  it('4.1/4.2: field-syntax examples parse and re-serialise exactly', () => {
    for (const example of SECTION_EXAMPLES.unverifiableExamples) {
      const inputs = parseSignatureInput(example.signatureInput)
      const signatures = parseSignature(example.signature)
      const out = serializeSignatures(
        [...inputs.values()].map((m) => ({
          label: m.label,
          innerList: m.innerList,
          signature: signatures.get(m.label)!,
        })),
      )
      expect(out).toEqual({ signatureInput: example.signatureInput, signature: example.signature })
    }
  })
})

describe.each([webBackend, nodeBackend])(
  'RFC 9530 Content-Digest on the $name backend',
  (backend) => {
    type DigestCase = {
      id: string
      bodyUtf8?: string
      bodyHex?: string
      expected?: string
      expectedSha512?: string
      mustReject?: string
      fieldValue?: string
      parseExpect?: [string, string][]
    }
    const file = vectors<{
      cases: DigestCase[]
      sampleDigestValues: { input: string; values: Record<string, string> }
    }>('rfc9530-content-digest.json')
    const bodyOf = (c: DigestCase): Uint8Array =>
      c.bodyHex !== undefined
        ? Uint8Array.from(c.bodyHex.split(' ').map((h) => Number.parseInt(h, 16)))
        : utf8(c.bodyUtf8 ?? '')

    it.each(file.cases.filter((c) => c.expected !== undefined).map((c) => [c.id, c] as const))(
      '%s: created and verified over the exact bytes',
      async (_id, c) => {
        const body = bodyOf(c)
        const algorithm = c.expected!.startsWith('sha-512') ? 'sha-512' : 'sha-256'
        expect(await createContentDigest(body, algorithm, { backend })).toBe(c.expected)
        expect(await verifyContentDigest(c.expected!, body, { backend })).toEqual([algorithm])
        if (c.expectedSha512 !== undefined) {
          expect(await createContentDigest(body, 'sha-512', { backend })).toBe(c.expectedSha512)
          const both = await createContentDigest(body, ['sha-256', 'sha-512'], { backend })
          expect(both).toBe(`${c.expected}, ${c.expectedSha512}`)
          expect(await verifyContentDigest(both, body, { backend })).toEqual(['sha-256', 'sha-512'])
        }
        if (c.mustReject !== undefined) {
          await expect(verifyContentDigest(c.mustReject, body, { backend })).rejects.toMatchObject({
            code: 'digest_mismatch',
          })
        }
        const other = utf8(`${c.bodyUtf8 ?? ''}x`)
        await expect(verifyContentDigest(c.expected!, other, { backend })).rejects.toMatchObject({
          code: 'digest_mismatch',
        })
      },
    )

    it('sec2-multi: a dictionary with two algorithms parses member by member', () => {
      const c = file.cases.find((x) => x.id === 'sec2-multi')!
      const parsed = parseContentDigest(c.fieldValue!)
      expect([...parsed].map(([k, v]) => [k, toBase64(v)])).toEqual(c.parseExpect)
    })

    it('Appendix D: sha-256 and sha-512 sample values verify; deprecated algorithms alone never do', async () => {
      const { input, values } = file.sampleDigestValues
      const body = utf8(input)
      for (const [algorithm, value] of Object.entries(values)) {
        const field = `${algorithm}=${value}`
        if (algorithm === 'sha-256' || algorithm === 'sha-512') {
          expect(await verifyContentDigest(field, body, { backend })).toEqual([algorithm])
        } else {
          await expect(verifyContentDigest(field, body, { backend })).rejects.toMatchObject({
            code: 'digest_mismatch',
          })
          // Ignored next to a supported one.
          expect(
            await verifyContentDigest(`${field}, sha-256=${values['sha-256']}`, body, { backend }),
          ).toEqual(['sha-256'])
        }
      }
    })
  },
)
