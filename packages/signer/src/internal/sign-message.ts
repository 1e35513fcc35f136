/**
 * Signs one message (request or response) by a plan: Content-Digest added over the body bytes,
 * every planned signature made over the same message, and the `Signature-Input` and `Signature`
 * values returned. Works on plain message parts, so no `Request` or `Headers` is built unless the
 * caller already has one.
 *
 * @module
 */
import {
  type ComponentIdentifier,
  createContentDigest,
  createSignatureBase,
  type FieldLine,
  type HttpMessage,
  type Key,
  parseComponentIdentifier,
  parseSignatureInput,
  type SignatureEntry,
  type SignatureParams,
  serializeSignatures,
  verifyContentDigest,
} from '@countersign/core'
import type { SignedFields } from '../types.ts'
import { nextNonce } from './nonce.ts'
import { asTypeError, type Plan, type SignaturePlan } from './plan.ts'

const CONTENT_DIGEST = parseComponentIdentifier('content-digest')
const CONTENT_TYPE = parseComponentIdentifier('content-type')

function defaults(base: readonly string[]): ComponentIdentifier[][] {
  // Indexed by (hasDigest ? 1 : 0) + (hasType ? 2 : 0); frozen and reused for every message.
  const head = base.map(parseComponentIdentifier)
  return [
    Object.freeze([...head]) as ComponentIdentifier[],
    Object.freeze([...head, CONTENT_DIGEST]) as ComponentIdentifier[],
    Object.freeze([...head, CONTENT_TYPE]) as ComponentIdentifier[],
    Object.freeze([...head, CONTENT_DIGEST, CONTENT_TYPE]) as ComponentIdentifier[],
  ]
}

const REQUEST_DEFAULTS = defaults(['@method', '@target-uri'])
const RESPONSE_DEFAULTS = defaults(['@status'])

/** The fields of a message: a Fetch `Headers` or the field lines in order. */
export type FieldSource = Headers | readonly FieldLine[]

/** The message parts the signer needs. */
export interface MessageParts {
  readonly kind: 'request' | 'response'
  readonly method?: string
  readonly url?: string | URL
  readonly status?: number
  /** For a response: the request it answers (components with `;req`). */
  readonly request?: HttpMessage
  /** The fields as the message carries them; never modified. */
  readonly headers: FieldSource
  /** The body bytes, or `undefined` when the message has no body. */
  readonly body: Uint8Array | undefined
}

/** The fields the signer reads itself, from one pass over the message's fields. */
interface SignerFields {
  digest: string | null
  type: string | null
  input: string | null
  signature: string | null
}

function signerFields(headers: FieldSource): SignerFields {
  if (headers instanceof Headers) {
    return {
      digest: headers.get('content-digest'),
      type: headers.get('content-type'),
      input: headers.get('signature-input'),
      signature: headers.get('signature'),
    }
  }
  const out: SignerFields = { digest: null, type: null, input: null, signature: null }
  const join = (a: string | null, b: string): string => (a === null ? b : `${a}, ${b}`)
  for (const [name, value] of headers) {
    switch (name.length) {
      case 9:
        if (name.toLowerCase() === 'signature') {
          out.signature = join(out.signature, value)
        }
        break
      case 12:
        if (name.toLowerCase() === 'content-type') {
          out.type = join(out.type, value)
        }
        break
      case 14:
        if (name.toLowerCase() === 'content-digest') {
          out.digest = join(out.digest, value)
        }
        break
      case 15:
        if (name.toLowerCase() === 'signature-input') {
          out.input = join(out.input, value)
        }
        break
    }
  }
  return out
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

/**
 * `lines` with the signed fields set: a line of the same name is replaced (the signer's values
 * already hold what was there), the others kept in order. Modifies and returns `lines`.
 */
export function withSignedFields(lines: FieldLine[], fields: SignedFields): [string, string][] {
  let kept = 0
  for (const line of lines) {
    if (!Object.hasOwn(fields, line[0].toLowerCase())) {
      lines[kept++] = line
    }
  }
  lines.length = kept
  for (const [name, value] of Object.entries(fields)) {
    lines.push([name, value as string])
  }
  return lines as [string, string][]
}

function seconds(value: number | Date): number {
  return value instanceof Date ? Math.floor(value.getTime() / 1000) : value
}

function resolveKey(plan: SignaturePlan): Key | Promise<Key> {
  const requested = plan.requested
  if (requested === undefined && plan.key !== undefined) {
    const key = plan.key()
    return key instanceof Promise ? key.then(checkKey) : checkKey(key)
  }
  return resolveRequestedKey(plan)
}

async function resolveRequestedKey(plan: SignaturePlan): Promise<Key> {
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
  key = checkKey(key)
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

function checkKey(key: Key | undefined): Key {
  if (key === undefined || key.type === 'public') {
    throw new TypeError('no key that can sign')
  }
  if (key.algorithm === 'hmac-sha1') {
    throw new TypeError(
      'hmac-sha1 is not an RFC 9421 algorithm (it is kept for the Icypeas preset only)',
    )
  }
  return key
}

function signatureParams(
  plan: SignaturePlan,
  key: Key,
  now: number,
  requestNonce: () => string,
): SignatureParams {
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
  const nonce = plan.nonce === undefined ? requestNonce() : plan.nonce
  if (nonce !== false) {
    params.nonce = nonce
  }
  if (plan.tag !== undefined) {
    params.tag = plan.tag
  }
  return params
}

function withField(headers: FieldSource, name: string, value: string): FieldSource {
  if (headers instanceof Headers) {
    const copy = new Headers(headers)
    copy.set(name, value)
    return copy
  }
  return [...headers, [name, value]]
}

/**
 * Adds `Content-Digest` when the message has a body (or a signature covers it), checks one that
 * is already there, and signs. Returns the fields to set on the message: `Content-Digest` when
 * it was added, and the whole `Signature-Input` and `Signature` values (signatures already on
 * the message first).
 */
export async function signFields(parts: MessageParts, plan: Plan): Promise<SignedFields> {
  const { body } = parts
  let headers = parts.headers
  const fields = signerFields(headers)
  let addedDigest: string | undefined
  let hasDigest = fields.digest !== null
  const bytes = body ?? new Uint8Array(0)
  if (fields.digest !== null) {
    // Always checked, whatever `digest` and the components say (issue #14): a verifier checks a
    // Content-Digest whenever one is present, so signing a wrong one only makes a bad message.
    try {
      await verifyContentDigest(fields.digest, bytes)
    } catch (cause) {
      throw new TypeError('the Content-Digest already on the message does not match its body', {
        cause,
      })
    }
  } else if ((body !== undefined && plan.digest !== false) || plan.coversDigest) {
    addedDigest = await createContentDigest(bytes, plan.digest === false ? 'sha-256' : plan.digest)
    headers = withField(headers, 'content-digest', addedDigest)
    hasDigest = true
  }
  const hasType = fields.type !== null

  const existingInput = fields.input
  const existingSignature = fields.signature
  if ((existingInput === null) !== (existingSignature === null)) {
    throw new TypeError('the message has one of Signature-Input and Signature without the other')
  }
  const labels = assignLabels(plan, existingInput)

  const message: HttpMessage =
    parts.kind === 'request'
      ? { method: parts.method as string, url: parts.url as string | URL, headers }
      : {
          status: parts.status as number,
          headers,
          ...(parts.request === undefined ? {} : { request: parts.request }),
        }
  const now = Math.floor(Date.now() / 1000)
  const entries: SignatureEntry[] = []
  const defaults = (parts.kind === 'request' ? REQUEST_DEFAULTS : RESPONSE_DEFAULTS)[
    (hasDigest ? 1 : 0) + (hasType ? 2 : 0)
  ] as ComponentIdentifier[]
  // One message, one nonce: every signature made here carries the same one (issue #14), so a
  // verifier that consumes it refuses a replay under any subset of the labels.
  // A message already signed keeps its nonce for the signatures added to it.
  let nonce =
    (plan.signatures.find((s) => typeof s.nonce === 'string')?.nonce as string | undefined) ??
    existingNonce(existingInput)
  const requestNonce = (): string => {
    nonce ??= nextNonce()
    return nonce
  }
  const used = new Set<string>()
  for (let i = 0; i < plan.signatures.length; i++) {
    const s = plan.signatures[i] as SignaturePlan
    const pending = resolveKey(s)
    const key = pending instanceof Promise ? await pending : pending
    const params = signatureParams(s, key, now, requestNonce)
    if (typeof params.nonce === 'string' && used.add(params.nonce).size > 1) {
      throw new TypeError(
        'the signatures of one message must share one nonce (a verifier refuses different ones)',
      )
    }
    const base = asTypeError(() =>
      createSignatureBase(message, s.components ?? defaults, params, {
        structuredFields: plan.structuredFields,
      }),
    )
    const signed = signWith(key, base.bytes, plan.offload)
    const signature = signed instanceof Uint8Array ? signed : await signed
    entries.push({ label: labels[i] as string, innerList: base.innerList, signature })
  }

  const { signatureInput, signature } = serializeSignatures(entries)
  const out: SignedFields = {
    'signature-input':
      existingInput === null ? signatureInput : `${existingInput}, ${signatureInput}`,
    signature: existingSignature === null ? signature : `${existingSignature}, ${signature}`,
  }
  if (addedDigest !== undefined) {
    out['content-digest'] = addedDigest
  }
  return out
}

/** The nonce of the first signature already on the message that has one. */
function existingNonce(existingInput: string | null): string | undefined {
  if (existingInput === null) {
    return undefined
  }
  for (const member of asTypeError(() => parseSignatureInput(existingInput)).values()) {
    if (typeof member.params.nonce === 'string') {
      return member.params.nonce
    }
  }
  return undefined
}

/** Signs the base with the key, where `offload` says (see `SignRequestOptions.offload`). */
function signWith(
  key: Key,
  data: Uint8Array,
  offload: Plan['offload'],
): Uint8Array | Promise<Uint8Array> {
  if (offload !== false && key.type === 'private') {
    return offload === true ? key.sign(data) : offload(key, data)
  }
  return key.signSync === undefined ? key.sign(data) : key.signSync(data)
}

/**
 * The label of each planned signature: its own, or the next free `sigN` after those already on
 * the message and those the plan names.
 *
 * @throws `TypeError` when a planned label is already on the message.
 */
function assignLabels(plan: Plan, existingInput: string | null): string[] {
  const { signatures } = plan
  if (existingInput === null && signatures.length === 1) {
    return [signatures[0]?.label ?? 'sig1'] // the usual case
  }
  const taken = new Set(
    existingInput === null ? [] : asTypeError(() => [...parseSignatureInput(existingInput).keys()]),
  )
  for (const s of signatures) {
    if (s.label !== undefined && taken.has(s.label)) {
      throw new TypeError(`the message already carries a signature labelled ${s.label}`)
    }
  }
  for (const s of signatures) {
    if (s.label !== undefined) {
      taken.add(s.label)
    }
  }
  let next = 1
  return signatures.map((s) => {
    if (s.label !== undefined) {
      return s.label
    }
    while (taken.has(`sig${next}`)) {
      next++
    }
    const label = `sig${next}`
    taken.add(label)
    return label
  })
}
