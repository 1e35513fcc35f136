/**
 * Signs one message (request or response) by a plan: body read once, Content-Digest added,
 * every planned signature made over the same message, `Signature-Input` and `Signature` written.
 *
 * @module
 */
import {
  type ComponentIdentifier,
  createContentDigest,
  createSignatureBase,
  generateNonce,
  type HttpMessage,
  type Key,
  parseComponentIdentifier,
  parseSignatureInput,
  type SignatureEntry,
  type SignatureParams,
  serializeSignatures,
  verifyContentDigest,
} from '@countersign/core'
import { asTypeError, type Plan, type SignaturePlan } from './plan.ts'

const REQUEST_BASE = ['@method', '@target-uri'].map(parseComponentIdentifier)
const RESPONSE_BASE = ['@status'].map(parseComponentIdentifier)
const CONTENT_DIGEST = parseComponentIdentifier('content-digest')
const CONTENT_TYPE = parseComponentIdentifier('content-type')

/** The message parts the signer needs. */
export interface MessageParts {
  readonly kind: 'request' | 'response'
  /** The body bytes, or `undefined` when the message has no body. */
  readonly body: Uint8Array | undefined
  /** A copy of the fields, to which the signature fields are added. */
  readonly headers: Headers
  /** Builds the RFC 9421 message view over `headers`. */
  readonly view: (headers: Headers) => HttpMessage
}

/** Reads a Request or Response body once, leaving the caller's object unread and usable. */
export async function readBody(message: Request | Response): Promise<Uint8Array | undefined> {
  if (message.body === null) {
    return undefined
  }
  if (message.bodyUsed) {
    throw new TypeError('the message body has already been read')
  }
  return new Uint8Array(await message.clone().arrayBuffer())
}

function seconds(value: number | Date): number {
  return value instanceof Date ? Math.floor(value.getTime() / 1000) : value
}

async function resolveKey(plan: SignaturePlan): Promise<Key> {
  const requested = plan.requested
  const wantedId = requested?.params.get('keyid')
  const wantedAlg = requested?.params.get('alg')
  let key: Key | undefined
  if (plan.key !== undefined) {
    key = await plan.key()
  } else if (plan.keyring !== undefined) {
    if (typeof wantedId === 'string') {
      key = plan.keyring.get(wantedId)
      if (key === undefined) {
        throw new TypeError(
          `Accept-Signature asks for key ${JSON.stringify(wantedId)}, which the key ring does not hold`,
        )
      }
    } else {
      key = plan.keyring.signingKey(
        typeof wantedAlg === 'string' ? (wantedAlg as Key['algorithm']) : undefined,
      )
    }
  }
  if (key === undefined || key.type === 'public') {
    throw new TypeError('no key that can sign')
  }
  if (key.algorithm === 'hmac-sha1') {
    throw new TypeError(
      'hmac-sha1 is not an RFC 9421 algorithm (it is kept for the Icypeas preset only)',
    )
  }
  if (typeof wantedId === 'string' && key.keyId !== wantedId && plan.keyid !== wantedId) {
    throw new TypeError(
      `Accept-Signature asks for key ${JSON.stringify(wantedId)}, not ${JSON.stringify(key.keyId)}`,
    )
  }
  if (typeof wantedAlg === 'string' && key.algorithm !== wantedAlg) {
    throw new TypeError(`Accept-Signature asks for ${wantedAlg}, but the key is ${key.algorithm}`)
  }
  return key
}

function defaultComponents(kind: 'request' | 'response', headers: Headers): ComponentIdentifier[] {
  const components = [...(kind === 'request' ? REQUEST_BASE : RESPONSE_BASE)]
  if (headers.has('content-digest')) {
    components.push(CONTENT_DIGEST)
  }
  if (headers.has('content-type')) {
    components.push(CONTENT_TYPE)
  }
  return components
}

function signatureParams(plan: SignaturePlan, key: Key, now: number): SignatureParams {
  // Order: created, keyid, alg, expires, nonce, tag (the order of the RFC 9421 examples).
  const params: SignatureParams = {}
  const created = plan.created === undefined ? now : plan.created
  if (created !== false) {
    params.created = seconds(created)
  }
  const keyid = plan.keyid === undefined ? key.keyId : plan.keyid
  if (keyid !== false) {
    params.keyid = keyid
  }
  if (plan.alg) {
    params.alg = key.algorithm
  }
  if (plan.expires !== undefined && plan.expires !== false) {
    params.expires = seconds(plan.expires)
  } else if (plan.expires === undefined && plan.expiresIn !== undefined) {
    params.expires = (params.created ?? now) + plan.expiresIn
  }
  const nonce = plan.nonce === undefined ? generateNonce() : plan.nonce
  if (nonce !== false) {
    params.nonce = nonce
  }
  if (plan.tag !== undefined) {
    params.tag = plan.tag
  }
  return params
}

function coversOwnDigest(plan: Plan): boolean {
  return plan.signatures.some(
    (s) => s.components?.some((c) => c.name === 'content-digest' && !c.params.has('req')) ?? false,
  )
}

/**
 * Adds `Content-Digest` when the message has a body (or a signature covers it), checks one that
 * is already there, and signs. Returns the headers to send.
 */
export async function signParts(parts: MessageParts, plan: Plan): Promise<Headers> {
  const { headers, body } = parts
  const wantsDigest = (body !== undefined && plan.digest !== false) || coversOwnDigest(plan)
  if (wantsDigest) {
    const bytes = body ?? new Uint8Array(0)
    const existing = headers.get('content-digest')
    if (existing === null) {
      headers.set(
        'content-digest',
        await createContentDigest(bytes, plan.digest === false ? 'sha-256' : plan.digest),
      )
    } else {
      try {
        await verifyContentDigest(existing, bytes)
      } catch (cause) {
        throw new TypeError('the Content-Digest already on the message does not match its body', {
          cause,
        })
      }
    }
  }

  const existingInput = headers.get('signature-input')
  const existingSignature = headers.get('signature')
  if ((existingInput === null) !== (existingSignature === null)) {
    throw new TypeError('the message has one of Signature-Input and Signature without the other')
  }
  const taken = new Set(
    existingInput === null ? [] : asTypeError(() => [...parseSignatureInput(existingInput).keys()]),
  )
  for (const s of plan.signatures) {
    if (s.label !== undefined && taken.has(s.label)) {
      throw new TypeError(`the message already carries a signature labelled ${s.label}`)
    }
  }
  for (const s of plan.signatures) {
    if (s.label !== undefined) {
      taken.add(s.label)
    }
  }

  const message = parts.view(headers)
  const now = Math.floor(Date.now() / 1000)
  const entries: SignatureEntry[] = []
  let next = 1
  for (const s of plan.signatures) {
    let label = s.label
    if (label === undefined) {
      while (taken.has(`sig${next}`)) {
        next++
      }
      label = `sig${next}`
      taken.add(label)
    }
    const key = await resolveKey(s)
    const components = s.components ?? defaultComponents(parts.kind, headers)
    const params = signatureParams(s, key, now)
    const base = asTypeError(() =>
      createSignatureBase(message, components, params, { structuredFields: plan.structuredFields }),
    )
    const signature =
      key.signSync === undefined ? await key.sign(base.bytes) : key.signSync(base.bytes)
    entries.push({ label, innerList: base.innerList, signature })
  }

  const { signatureInput, signature } = serializeSignatures(entries)
  headers.set(
    'signature-input',
    existingInput === null ? signatureInput : `${existingInput}, ${signatureInput}`,
  )
  headers.set(
    'signature',
    existingSignature === null ? signature : `${existingSignature}, ${signature}`,
  )
  return headers
}
