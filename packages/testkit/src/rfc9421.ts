/** The RFC 9421 vectors of this package as Web Requests and Responses, for the signer and verifier tests. */
import { readFileSync } from 'node:fs'
import { type Algorithm, type CryptoBackend, fromBase64, type Key } from '@countersign/core'

export function vectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../vectors/rfc/${name}`, import.meta.url), 'utf8')) as T
}

export interface VectorMessage {
  type?: 'request' | 'response'
  method?: string
  targetUri?: string
  status?: number
  headers: [string, string][]
  body?: string | null
}

export interface SigningCase {
  id: string
  algorithm: Algorithm
  keyid: string
  deterministic: boolean
  label: string
  message: string | VectorMessage
  relatedRequest?: VectorMessage
  coveredComponents: string[]
  signatureParameters: [string, string | number][]
  signatureBase: string
  signatureInput: string
  signature: string
  signatureValueBase64: string
  transformedVariants?: { description: string; message: VectorMessage; expectVerify: boolean }[]
}

const b2 = vectors<{ messages: Record<string, VectorMessage>; cases: SigningCase[] }>(
  'rfc9421-appendix-b2.json',
)
const b34 = vectors<{ cases: SigningCase[] }>('rfc9421-appendix-b3-b4.json')
const section = vectors<{ signingCases: SigningCase[] }>('rfc9421-section-examples.json')
const keys = vectors<{
  keys: Record<string, { publicKeyPem?: string; privateKeyPem?: string; secretBase64?: string }>
}>('rfc9421-keys.json').keys

export const SIGNING_CASES: SigningCase[] = [...b2.cases, ...b34.cases, ...section.signingCases]

export function caseMessage(c: SigningCase): VectorMessage {
  return typeof c.message === 'string' ? (b2.messages[c.message] as VectorMessage) : c.message
}

export function isResponse(m: VectorMessage): boolean {
  return m.type === 'response' || m.status !== undefined
}

export function toRequest(m: VectorMessage, extra: [string, string][] = []): Request {
  const headers = new Headers()
  for (const [name, value] of [...m.headers, ...extra]) {
    headers.append(name, value)
  }
  return new Request(m.targetUri as string, {
    method: m.method as string,
    headers,
    ...(m.body === undefined || m.body === null ? {} : { body: m.body }),
  })
}

export function toResponse(m: VectorMessage): Response {
  const headers = new Headers()
  for (const [name, value] of m.headers) {
    headers.append(name, value)
  }
  return new Response(m.body ?? null, { status: m.status as number, headers })
}

export async function rfcKeys(
  backend: Pick<CryptoBackend, 'importKey'>,
  keyid: string,
  algorithm: Algorithm,
): Promise<{ verify: Key; sign: Key }> {
  const k = keys[keyid]!
  if (k.secretBase64 !== undefined) {
    const key = await backend.importKey(fromBase64(k.secretBase64), { algorithm, keyId: keyid })
    return { verify: key, sign: key }
  }
  return {
    verify: await backend.importKey(k.publicKeyPem!, { algorithm, keyId: keyid }),
    sign: await backend.importKey(k.privateKeyPem!, { algorithm, keyId: keyid }),
  }
}
