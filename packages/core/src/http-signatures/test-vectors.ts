/**
 * Test-only helpers: load the RFC 9421 / RFC 9530 vectors from packages/testkit and turn their
 * messages into {@link HttpMessage}s. Excluded from the build (`test-*.ts`).
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import type { Algorithm, CryptoBackend, Key } from '../crypto/types.ts'
import { fromBase64 } from '../encoding.ts'
import type { FieldLine, HttpMessage } from './message.ts'

export function vectors<T>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../testkit/vectors/rfc/${name}`, import.meta.url), 'utf8'),
  ) as T
}

export interface VectorMessage {
  type?: 'request' | 'response'
  method?: string
  requestTarget?: string
  targetUri?: string
  scheme?: string
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
  signatureParamsValue: string
  signatureBase: string
  signatureInput: string
  signature: string
  signatureValueBase64: string
  transformedVariants?: { description: string; message: VectorMessage; expectVerify: boolean }[]
}

export interface RfcKey {
  algorithms: Algorithm[]
  publicKeyPem?: string
  privateKeyPem?: string
  jwk?: JsonWebKey
  secretBase64?: string
}

const b2 = vectors<{ messages: Record<string, VectorMessage>; cases: SigningCase[] }>(
  'rfc9421-appendix-b2.json',
)
const b34 = vectors<{ cases: SigningCase[] }>('rfc9421-appendix-b3-b4.json')
export const SECTION_EXAMPLES = vectors<{
  componentValueExamples: Record<string, unknown>[]
  signingCases: SigningCase[]
  unverifiableExamples: { signatureInput: string; signature: string }[]
}>('rfc9421-section-examples.json')
export const RFC_KEYS = vectors<{ keys: Record<string, RfcKey> }>('rfc9421-keys.json').keys
export const B2_MESSAGES = b2.messages

/** Every signing case of RFC 9421 (Appendix B.2, B.3, B.4 and the Section 2-4 examples). */
export const SIGNING_CASES: SigningCase[] = [
  ...b2.cases,
  ...b34.cases,
  ...SECTION_EXAMPLES.signingCases,
]

/** Resolves a case's message (B.2 cases name a shared message). */
export function caseMessage(c: SigningCase): VectorMessage {
  return typeof c.message === 'string' ? (b2.messages[c.message] as VectorMessage) : c.message
}

/** Turns a vector message into an HttpMessage with its field lines. */
export function toHttpMessage(m: VectorMessage, related?: VectorMessage): HttpMessage {
  const headers: FieldLine[] = m.headers.map(([n, v]) => [n, v] as const)
  if (m.type === 'response' || m.status !== undefined) {
    return {
      status: m.status as number,
      headers,
      ...(related === undefined ? {} : { request: toHttpMessage(related) }),
    }
  }
  const host = m.headers.find(([n]) => n.toLowerCase() === 'host')?.[1]
  const target = m.requestTarget ?? '/'
  let url: string
  let requestTarget: string | undefined
  if (m.targetUri !== undefined) {
    url = m.targetUri
  } else if (target.startsWith('/')) {
    url = `${m.scheme ?? 'https'}://${host}${target}`
  } else if (/^[a-z]+:\/\//.test(target)) {
    url = target
    requestTarget = target
  } else {
    url = `${m.scheme ?? 'https'}://${host}/`
    requestTarget = target
  }
  return {
    method: m.method as string,
    url,
    headers,
    ...(requestTarget === undefined ? {} : { requestTarget }),
  }
}

/** Imports an RFC test key on `backend`: public, and private when signing is possible. */
export async function rfcKeys(
  backend: CryptoBackend,
  keyid: string,
  algorithm: Algorithm,
): Promise<{ verify: Key; sign: Key }> {
  const k = RFC_KEYS[keyid] as RfcKey
  if (k.secretBase64 !== undefined) {
    const key = await backend.importKey(fromBase64(k.secretBase64), { algorithm, keyId: keyid })
    return { verify: key, sign: key }
  }
  return {
    verify: await backend.importKey(k.publicKeyPem as string, { algorithm, keyId: keyid }),
    sign: await backend.importKey(k.privateKeyPem as string, { algorithm, keyId: keyid }),
  }
}

/** Splits a base line `<identifier>: <value>` at the first `: ` outside a quoted string. */
export function splitBaseLine(line: string): [string, string] {
  let inString = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (inString) {
      if (ch === '\\') {
        i++
      } else if (ch === '"') {
        inString = false
      }
    } else if (ch === '"') {
      inString = true
    } else if (ch === ':' && line[i + 1] === ' ') {
      return [line.slice(0, i), line.slice(i + 2)]
    }
  }
  throw new Error(`no separator in ${line}`)
}
