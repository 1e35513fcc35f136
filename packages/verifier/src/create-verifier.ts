/**
 * Reusable verifiers: the policy checked and compiled once, one nonce store per verifier.
 *
 * @module
 */
import {
  type ComponentIdentifier,
  type ConsumeOnceStore,
  type CountersignError,
  componentKey,
  createMemoryStore,
  createSignatureBase,
  type FieldLine,
  type HttpMessage,
  isCountersignError,
  type Key,
  parseComponentIdentifier,
  parseContentDigest,
  parseSignature,
  parseSignatureInput,
  RequestError,
  readRequestBody,
  SignatureError,
  type SignatureInputMember,
  StoreError,
  validateComponents,
  verifyContentDigest,
} from '@countersign/core'
import { acceptSignatureHeader } from './accept-signature-header.ts'
import { type Fields, fieldsFrom, fieldsOf } from './internal/fields.ts'
import type {
  KeyResolver,
  ReceivedRequest,
  VerifiedRequest,
  Verifier,
  VerifyCallOptions,
  VerifyRequestOptions,
} from './types.ts'

/** The default covered components (see {@link VerifyRequestOptions.requiredComponents}). */
export const DEFAULT_REQUIRED_COMPONENTS: readonly string[] = [
  '@method',
  '@target-uri',
  'content-digest',
  'content-type',
]
/** The longest `Signature-Input` or `Signature` value accepted, in characters. */
export const MAX_SIGNATURE_FIELD_LENGTH = 8 * 1024
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
/** The HTTP Signature Algorithms registry entries Countersign supports (not `hmac-sha1`). */
const RFC9421_ALGORITHMS: ReadonlySet<string> = new Set([
  'hmac-sha256',
  'ed25519',
  'ecdsa-p256-sha256',
  'rsa-pss-sha512',
  'rsa-v1_5-sha256',
])
/** At most this many signatures are checked cryptographically per request (bounds the work). */
const MAX_VERIFY_ATTEMPTS = 4

const OPTION_KEYS = new Set([
  'keys',
  'requiredComponents',
  'maxAgeSeconds',
  'maxFutureSeconds',
  'requireNonce',
  'nonceStore',
  'label',
  'tag',
  'maxBodyBytes',
  'fieldLines',
  'structuredFields',
])
const LABEL = /^[a-z*][a-z0-9_.*-]*$/

/** A checked policy. */
export interface Policy {
  readonly resolve: KeyResolver
  /** Required components other than `content-digest` and `content-type`. */
  readonly required: readonly ComponentIdentifier[]
  /** The component key of each of `required` (same order). */
  readonly requiredKeys: readonly string[]
  readonly requireDigest: boolean
  readonly requireType: boolean
  readonly maxAge: number
  readonly maxFuture: number
  readonly requireNonce: boolean
  readonly store: ConsumeOnceStore
  readonly label: string | undefined
  readonly tag: string | undefined
  readonly maxBodyBytes: number
  readonly fieldLines: readonly FieldLine[] | undefined
  readonly structuredFields: Readonly<Record<string, 'item' | 'list' | 'dictionary'>> | undefined
}

function seconds(value: unknown, name: string, fallback: number, allowZero: boolean): number {
  if (value === undefined) {
    return fallback
  }
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw new TypeError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds`,
    )
  }
  return value
}

/** Checks verifier options and compiles them. */
export function compilePolicy(
  options: VerifyRequestOptions,
  defaultStore: () => ConsumeOnceStore,
): Policy {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('verifier options must be an object')
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new TypeError(`verifier options: unknown option ${JSON.stringify(key)}`)
    }
  }
  const { keys } = options
  let resolve: KeyResolver
  if (typeof keys === 'function') {
    resolve = keys
  } else if (typeof keys === 'object' && keys !== null && typeof keys.get === 'function') {
    resolve = (keyId) => keys.get(keyId)
  } else {
    throw new TypeError('verifier options: keys must be a resolver function or a KeyRing')
  }
  const names = options.requiredComponents ?? DEFAULT_REQUIRED_COMPONENTS
  if (!Array.isArray(names)) {
    throw new TypeError('verifier options: requiredComponents must be an array of component names')
  }
  let parsed: ComponentIdentifier[]
  try {
    parsed = names.map((n: unknown) => {
      if (typeof n !== 'string') {
        throw new TypeError('verifier options: each required component must be a string')
      }
      return parseComponentIdentifier(n)
    })
    validateComponents(parsed)
  } catch (error) {
    throw isCountersignError(error)
      ? new TypeError(`verifier options: ${error.message}`, { cause: error })
      : error
  }
  const isPlain = (c: ComponentIdentifier, name: string) => c.name === name && c.params.size === 0
  const nonceStore = options.nonceStore
  if (
    nonceStore !== undefined &&
    (typeof nonceStore !== 'object' || typeof nonceStore?.consumeOnce !== 'function')
  ) {
    throw new TypeError('verifier options: nonceStore must have consumeOnce(key, ttlMs)')
  }
  if (options.requireNonce !== undefined && typeof options.requireNonce !== 'boolean') {
    throw new TypeError('verifier options: requireNonce must be a boolean')
  }
  if (
    options.label !== undefined &&
    (typeof options.label !== 'string' || !LABEL.test(options.label))
  ) {
    throw new TypeError('verifier options: label must be a signature label ([a-z*][a-z0-9_.*-]*)')
  }
  if (options.tag !== undefined && (typeof options.tag !== 'string' || options.tag.length === 0)) {
    throw new TypeError('verifier options: tag must be a non-empty string')
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) {
    throw new TypeError('verifier options: maxBodyBytes must be a non-negative integer')
  }
  if (options.fieldLines !== undefined && !Array.isArray(options.fieldLines)) {
    throw new TypeError('verifier options: fieldLines must be an array of [name, value] pairs')
  }
  const required = parsed.filter(
    (c) => !isPlain(c, 'content-digest') && !isPlain(c, 'content-type'),
  )
  return {
    resolve,
    required,
    requiredKeys: required.map(componentKey),
    requireDigest: parsed.some((c) => isPlain(c, 'content-digest')),
    requireType: parsed.some((c) => isPlain(c, 'content-type')),
    maxAge: seconds(options.maxAgeSeconds, 'verifier options: maxAgeSeconds', 300, false),
    maxFuture: seconds(options.maxFutureSeconds, 'verifier options: maxFutureSeconds', 60, true),
    requireNonce: options.requireNonce ?? true,
    store: nonceStore ?? defaultStore(),
    label: options.label,
    tag: options.tag,
    maxBodyBytes,
    fieldLines: options.fieldLines,
    structuredFields: options.structuredFields,
  }
}

/**
 * Creates a verifier for many requests: options are checked once (a mistake throws here), the
 * policy is compiled once, and, unless `nonceStore` is given, one bounded in-memory nonce store
 * is created for this verifier.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ keys: (keyId) => keys.get(keyId) })
 * const { keyId, body } = await verifier.verifyRequest(request)
 * ```
 *
 * @throws `TypeError` when an option is invalid.
 */
export function createVerifier(options: VerifyRequestOptions): Verifier {
  const policy = compilePolicy(options, () => createMemoryStore())
  return verifierFor(policy)
}

/** A verifier over a compiled policy. */
export function verifierFor(policy: Policy): Verifier {
  return {
    verifyRequest(request: Request, call?: VerifyCallOptions): Promise<VerifiedRequest> {
      return verifyWithPolicy(policy, request, call?.fieldLines ?? policy.fieldLines)
    },
    verifyMessage(message: ReceivedRequest): Promise<VerifiedRequest> {
      return verifyMessageWithPolicy(policy, message)
    },
    acceptSignature(request?: Request | ReceivedRequest): string {
      if (request === undefined) {
        return acceptSignatureFor(policy, true, true)
      }
      if (request instanceof Request) {
        return acceptSignatureFor(
          policy,
          request.body !== null,
          request.headers.has('content-type'),
        )
      }
      let hasType = true
      try {
        hasType = messageFields(request.headers).get('content-type') !== null
      } catch {
        // Malformed or duplicated fields: ask for everything.
      }
      return acceptSignatureFor(
        policy,
        request.body instanceof Uint8Array && request.body.length > 0,
        hasType,
      )
    },
  }
}

/** The `Accept-Signature` value matching the policy, for a request with or without a body. */
export function acceptSignatureFor(policy: Policy, hasBody: boolean, hasType: boolean): string {
  const components = [...policy.required.map((c) => c.id)]
  if (policy.requireDigest && hasBody) {
    components.push('"content-digest"')
  }
  if (policy.requireType && hasType) {
    components.push('"content-type"')
  }
  return acceptSignatureHeader({
    components,
    nonce: policy.requireNonce,
    ...(policy.label === undefined ? {} : { label: policy.label }),
    ...(policy.tag === undefined ? {} : { tag: policy.tag }),
  })
}

interface Candidate {
  member: SignatureInputMember
  signature: Uint8Array
  key: Key
}

/** Whether `components` covers the component whose key is `key`. */
function covers(components: readonly ComponentIdentifier[], key: string): boolean {
  for (let i = 0; i < components.length; i++) {
    if (componentKey(components[i] as ComponentIdentifier) === key) {
      return true
    }
  }
  return false
}

/** Whether `components` covers the field `name` as is (no parameters). */
function coversPlain(components: readonly ComponentIdentifier[], name: string): boolean {
  for (let i = 0; i < components.length; i++) {
    const c = components[i] as ComponentIdentifier
    if (c.name === name && c.params.size === 0) {
      return true
    }
  }
  return false
}

/** Checks a signature's parameters and coverage against the policy, before any crypto. */
function checkPolicy(
  policy: Policy,
  member: SignatureInputMember,
  now: number,
  bodyLength: number,
  hasDigest: boolean,
  hasType: boolean,
): void {
  const { label, params } = member
  validateComponents(member.components)
  if (policy.tag !== undefined && params.tag !== policy.tag) {
    throw new SignatureError(
      'signature_missing',
      `signature ${label} does not carry the expected tag`,
    )
  }
  const { created, expires } = params
  if (typeof created !== 'number') {
    throw new SignatureError('signature_invalid', `signature ${label} has no created parameter`)
  }
  if (created > now + policy.maxFuture) {
    throw new SignatureError('signature_expired', `signature ${label} was created in the future`)
  }
  if (created < now - policy.maxAge) {
    throw new SignatureError(
      'signature_expired',
      `signature ${label} is older than ${policy.maxAge} seconds`,
    )
  }
  if (typeof expires === 'number') {
    if (expires < created) {
      throw new SignatureError(
        'signature_invalid',
        `signature ${label} expires before it was created`,
      )
    }
    if (now > expires) {
      throw new SignatureError('signature_expired', `signature ${label} has expired`)
    }
  }
  if (policy.requireNonce && typeof params.nonce !== 'string') {
    throw new SignatureError('signature_invalid', `signature ${label} has no nonce`)
  }
  if (typeof params.keyid !== 'string') {
    throw new SignatureError('key_unknown', `signature ${label} has no keyid`)
  }
  const { components } = member
  const { required, requiredKeys } = policy
  for (let i = 0; i < required.length; i++) {
    if (!covers(components, requiredKeys[i] as string)) {
      throw new SignatureError(
        'component_missing',
        `signature ${label} does not cover ${(required[i] as ComponentIdentifier).id}`,
      )
    }
  }
  if (policy.requireDigest && bodyLength > 0) {
    if (!hasDigest) {
      throw new SignatureError('digest_missing', 'the request has a body but no Content-Digest')
    }
    if (!coversPlain(components, 'content-digest')) {
      throw new SignatureError(
        'component_missing',
        `signature ${label} does not cover content-digest`,
      )
    }
  }
  if (policy.requireType && hasType && !coversPlain(components, 'content-type')) {
    throw new SignatureError('component_missing', `signature ${label} does not cover content-type`)
  }
}

function resolveKey(
  policy: Policy,
  keyId: string,
  member: SignatureInputMember,
): Key | Promise<Key> {
  let found: Key | undefined | Promise<Key | undefined>
  try {
    found = policy.resolve(keyId)
  } catch (cause) {
    throw resolverFailure(cause)
  }
  if (found instanceof Promise) {
    return found.then(
      (key) => checkKey(key, member),
      (cause) => {
        throw resolverFailure(cause)
      },
    )
  }
  return checkKey(found, member)
}

function resolverFailure(cause: unknown): unknown {
  if (isCountersignError(cause)) {
    return cause
  }
  return new StoreError('store_unavailable', 'the key resolver failed', { cause })
}

function checkKey(key: Key | undefined, member: SignatureInputMember): Key {
  if (key === undefined || key === null) {
    throw new SignatureError('key_unknown', `no key for signature ${member.label}`)
  }
  if (
    typeof key !== 'object' ||
    typeof key.verify !== 'function' ||
    typeof key.algorithm !== 'string'
  ) {
    throw new TypeError('the key resolver must return a Key from importKey')
  }
  if (!RFC9421_ALGORITHMS.has(key.algorithm)) {
    throw new SignatureError('algorithm_mismatch', `${key.algorithm} is not an RFC 9421 algorithm`)
  }
  const alg = member.params.alg
  if (alg !== undefined && alg !== key.algorithm) {
    throw new SignatureError(
      'algorithm_mismatch',
      `signature ${member.label} names an algorithm its key does not use`,
    )
  }
  return key
}

/** The signature fields of a request, checked and parsed before its body is read. */
export interface Prepared {
  readonly fields: Fields
  readonly inputs: Map<string, SignatureInputMember>
  readonly signatures: Map<string, Uint8Array>
}

/** Where a request was sent: what the derived components are taken from. */
export interface Target {
  readonly method: string
  readonly url: string | URL
  /** The request target as written, when it was not the origin form of `url`. */
  readonly requestTarget?: string
}

/**
 * Checks that the request is signed and parses `Signature-Input` and `Signature`: everything
 * that needs no body and no key, so an unsigned or garbled request is refused before its body is
 * read.
 */
export function prepareVerification(fields: Fields): Prepared {
  const inputValue = fields.get('signature-input')
  const signatureValue = fields.get('signature')
  if (inputValue === null || signatureValue === null) {
    throw new SignatureError('signature_missing', 'the request is not signed')
  }
  if (
    inputValue.length > MAX_SIGNATURE_FIELD_LENGTH ||
    signatureValue.length > MAX_SIGNATURE_FIELD_LENGTH
  ) {
    throw new RequestError('malformed', 'Signature-Input or Signature is too long')
  }
  return {
    fields,
    inputs: parseSignatureInput(inputValue),
    signatures: parseSignature(signatureValue),
  }
}

/** Verifies `request` under a compiled policy. */
export async function verifyWithPolicy(
  policy: Policy,
  request: Request,
  fieldLines: readonly FieldLine[] | undefined,
): Promise<VerifiedRequest> {
  if (!(request instanceof Request)) {
    throw new TypeError('expected a Request')
  }
  const prepared = prepareVerification(fieldsOf(request, fieldLines))
  const body = await readRequestBody(
    request,
    policy.maxBodyBytes,
    prepared.fields.get('content-length'),
  )
  return completeVerification(policy, prepared, request, body)
}

/** The fields of a {@link ReceivedRequest}'s `headers`, checked. */
export function messageFields(headers: ReceivedRequest['headers']): Fields {
  if (Array.isArray(headers) || headers instanceof Headers) {
    return fieldsFrom(headers as Headers | readonly FieldLine[])
  }
  if (typeof headers !== 'object' || headers === null) {
    throw new TypeError('message.headers must be a Headers, [name, value] lines or a record')
  }
  const lines: FieldLine[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') {
      lines.push([name, value])
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      for (const v of value as string[]) {
        lines.push([name, v])
      }
    } else {
      throw new TypeError(`message.headers.${name} must be a string or an array of strings`)
    }
  }
  return fieldsFrom(lines)
}

/** Verifies a request given as plain parts under a compiled policy. */
export function verifyMessageWithPolicy(
  policy: Policy,
  message: ReceivedRequest,
): Promise<VerifiedRequest> {
  try {
    return completeMessage(policy, message)
  } catch (error) {
    return Promise.reject(error)
  }
}

function completeMessage(policy: Policy, message: ReceivedRequest): Promise<VerifiedRequest> {
  if (typeof message !== 'object' || message === null) {
    throw new TypeError('expected a message object { method, url, headers, body? }')
  }
  const { method, url, body, requestTarget } = message
  if (typeof method !== 'string' || method.length === 0) {
    throw new TypeError('message.method must be a non-empty string')
  }
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError('message.url must be an absolute URL (a string or a URL)')
  }
  if (requestTarget !== undefined && typeof requestTarget !== 'string') {
    throw new TypeError('message.requestTarget must be a string')
  }
  if (body !== undefined && body !== null && !(body instanceof Uint8Array)) {
    throw new TypeError('message.body must be a Uint8Array (the bytes received) or absent')
  }
  const prepared = prepareVerification(messageFields(message.headers))
  const bytes = body ?? EMPTY
  if (bytes.length > policy.maxBodyBytes) {
    throw new RequestError('body_too_large', `the body is larger than ${policy.maxBodyBytes} bytes`)
  }
  return completeVerification(policy, prepared, message, bytes)
}

const EMPTY = new Uint8Array(0)

/**
 * Consumes the nonces of the verified signatures of one request, all of them, then refuses when
 * any was already used, or when they differ (one request carries one nonce, whichever labels it
 * is signed under). The replay key is the nonce alone, not scoped to a key or a label.
 */
async function consumeNonces(
  policy: Policy,
  verified: readonly Candidate[],
  nonces: ReadonlySet<string>,
  now: number,
): Promise<void> {
  if (nonces.size === 0) {
    return
  }
  let created = Number.POSITIVE_INFINITY
  for (const { member } of verified) {
    created = Math.min(created, member.params.created as number)
  }
  const ttlMs = Math.max(1000, Math.ceil((created + policy.maxAge - now) * 1000) + 1000)
  let results: boolean[]
  try {
    if (nonces.size === 1) {
      // The common case, one nonce: no array, no Promise.all.
      const [only] = nonces
      results = [await policy.store.consumeOnce(nonceKey(only as string), ttlMs)]
    } else {
      results = await Promise.all(
        [...nonces].map((n) => policy.store.consumeOnce(nonceKey(n), ttlMs)),
      )
    }
  } catch (cause) {
    if (cause instanceof StoreError) {
      throw cause
    }
    throw new StoreError('store_unavailable', 'the nonce store failed', { cause })
  }
  if (results.includes(false)) {
    throw new SignatureError('replayed', 'the request was already used')
  }
  if (nonces.size > 1) {
    throw new SignatureError(
      'signature_invalid',
      'the signatures of one request carry different nonces',
    )
  }
}

/** The nonce store key of a signature nonce (the same for every key and label). */
function nonceKey(nonce: string): string {
  return `sig-nonce:${nonce}`
}

/**
 * Picks and verifies a signature, checks `Content-Digest` over `body`, and consumes the nonce.
 */
export async function completeVerification(
  policy: Policy,
  prepared: Prepared,
  target: Target,
  body: Uint8Array,
): Promise<VerifiedRequest> {
  const { fields, inputs, signatures } = prepared
  const digestValue = fields.get('content-digest')
  // Structure and duplicates first (two Content-Digest lines joined by a comma); the digest
  // itself is checked once a signature has verified.
  const digests = digestValue === null ? undefined : parseContentDigest(digestValue)
  const hasType = fields.get('content-type') !== null
  const now = Date.now() / 1000

  const labels = policy.label === undefined ? inputs.keys() : [policy.label]
  const message: HttpMessage = { method: target.method, url: target.url, headers: fields.source }
  if (target.requestTarget !== undefined) {
    message.requestTarget = target.requestTarget
  }
  // Every signature that verifies is accounted for (issue #14): a request signed under several
  // labels (key rotation) is one request, so the nonce of each verified signature is consumed,
  // and a replay that presents a subset of the signatures finds its nonce already used.
  const verified: Candidate[] = []
  const nonces = new Set<string>()
  let firstError: CountersignError | undefined
  let attempts = 0
  for (const label of labels) {
    const member = inputs.get(label)
    const nonce = member?.params.nonce
    if (verified.length > 0 && (typeof nonce !== 'string' || nonces.has(nonce))) {
      continue // nothing more to consume for it
    }
    if (attempts >= MAX_VERIFY_ATTEMPTS) {
      break
    }
    try {
      const signature = signatures.get(label)
      if (member === undefined || signature === undefined) {
        throw new SignatureError('signature_missing', `no complete signature labelled ${label}`)
      }
      checkPolicy(policy, member, now, body.length, digestValue !== null, hasType)
      const pending = resolveKey(policy, member.params.keyid as string, member)
      const key = pending instanceof Promise ? await pending : pending
      const base = createSignatureBase(message, member.components, member.innerList[1], {
        structuredFields: policy.structuredFields,
      })
      attempts++
      const valid =
        key.verifySync === undefined
          ? await key.verify(base.bytes, signature)
          : key.verifySync(base.bytes, signature)
      if (!valid) {
        throw new SignatureError('signature_invalid', `signature ${label} does not verify`)
      }
      verified.push({ member, signature, key })
      if (typeof nonce === 'string') {
        nonces.add(nonce)
      }
    } catch (error) {
      if (!isCountersignError(error) || policy.label !== undefined || error instanceof StoreError) {
        throw error
      }
      // After one signature verified, another that does not (a key this verifier does not
      // trust) is not this verifier's to judge.
      firstError ??= error
    }
  }
  const first = verified[0]
  if (first === undefined) {
    throw firstError ?? new SignatureError('signature_missing', 'the request carries no signature')
  }

  const { member, key } = first
  if (digests !== undefined) {
    await verifyContentDigest(digests, body)
  }
  await consumeNonces(policy, verified, nonces, now)
  return {
    keyId: member.params.keyid as string,
    algorithm: key.algorithm,
    label: member.label,
    components: member.components.map((c) => c.id),
    params: member.params,
    body,
    key,
  }
}
