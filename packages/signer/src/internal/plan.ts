/**
 * Checks signer options once and turns them into a plan that signs messages without re-parsing.
 * Caller mistakes are `TypeError`s (or `RangeError`s for out-of-range numbers).
 *
 * @module
 */
import {
  type AcceptSignatureMember,
  ALGORITHMS,
  type Algorithm,
  type ComponentIdentifier,
  type ContentDigestAlgorithm,
  importKey,
  isCountersignError,
  type Key,
  type KeyRing,
  parseAcceptSignature,
  parseComponentIdentifier,
  validateComponents,
} from '@countersign/core'
import type {
  KeyMaterial,
  SignatureOptions,
  SignCallOptions,
  SigningKey,
  SignOffload,
  SignRequestOptions,
  SignResponseOptions,
} from '../types.ts'

/** One signature to make. */
export interface SignaturePlan {
  readonly label: string | undefined
  /** Returns the key: synchronously once it is imported (the hot path), else a promise. */
  readonly key: (() => Key | Promise<Key>) | undefined
  readonly keyring: KeyRing | undefined
  readonly components: readonly ComponentIdentifier[] | undefined
  readonly created: number | Date | false | undefined
  readonly expires: number | Date | false | undefined
  readonly expiresIn: number | undefined
  readonly nonce: string | false | undefined
  readonly keyid: string | false | undefined
  readonly alg: boolean
  readonly tag: string | undefined
  /** Set when the signature answers an `Accept-Signature` member. */
  readonly requested?: AcceptSignatureMember
}

/** Everything needed to sign a message. */
export interface Plan {
  readonly signatures: readonly SignaturePlan[]
  /** Whether a signature covers the message's own `content-digest` (then one is always added). */
  readonly coversDigest: boolean
  readonly digest: ContentDigestAlgorithm | false
  readonly structuredFields: Readonly<Record<string, 'item' | 'list' | 'dictionary'>> | undefined
  /** How private keys sign: on the calling thread (`false`), through `key.sign`, or elsewhere. */
  readonly offload: boolean | SignOffload
}

const SIGNATURE_KEYS = new Set([
  'key',
  'keyring',
  'label',
  'components',
  'created',
  'expires',
  'expiresIn',
  'nonce',
  'keyid',
  'alg',
  'tag',
])
const REQUEST_KEYS = new Set([
  ...SIGNATURE_KEYS,
  'digest',
  'signatures',
  'acceptSignature',
  'structuredFields',
  'offload',
])
const RESPONSE_KEYS = new Set([...REQUEST_KEYS, 'request'])
const CALL_KEYS = new Set(['created', 'expires', 'nonce', 'tag', 'acceptSignature', 'request'])
const LABEL = /^[a-z*][a-z0-9_.*-]{0,63}$/
const PRINTABLE = /^[\x20-\x7e]+$/

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkKeys(
  value: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  what: string,
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw new TypeError(`${what}: unknown option ${JSON.stringify(key)}`)
    }
  }
}

function isKey(value: unknown): value is Key {
  return (
    isRecord(value) &&
    typeof value.keyId === 'string' &&
    typeof value.algorithm === 'string' &&
    typeof value.sign === 'function'
  )
}

function isKeyMaterial(value: unknown): value is KeyMaterial {
  return isRecord(value) && 'material' in value
}

function checkTime(value: unknown, name: string): number | Date | false | undefined {
  if (value === undefined || value === false) {
    return value
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new TypeError(`${name} must be a valid Date`)
    }
    return value
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer (Unix seconds), a Date or false`)
  }
  return value
}

function checkString(value: unknown, name: string): string | undefined {
  if (value === undefined) {
    return undefined
  }
  if (typeof value !== 'string' || !PRINTABLE.test(value) || value.length > 256) {
    throw new TypeError(`${name} must be 1 to 256 printable ASCII characters`)
  }
  return value
}

/** Parses and validates components given as text; a problem is a `TypeError`. */
export function checkComponents(value: unknown, what: string): readonly ComponentIdentifier[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`${what} must be an array of component names`)
  }
  return asTypeError(() => {
    const components = value.map((c: unknown) => {
      if (typeof c !== 'string') {
        throw new TypeError(`${what}: each component must be a string, got ${typeof c}`)
      }
      return parseComponentIdentifier(c)
    })
    validateComponents(components)
    // Frozen: core compiles a frozen component list once and reuses it for every message.
    return Object.freeze(components)
  })
}

/** Runs `fn`, turning a coded Countersign error (a bad component, a missing field) into a `TypeError`. */
export function asTypeError<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    if (isCountersignError(error)) {
      throw new TypeError(error.message, { cause: error })
    }
    throw error
  }
}

function keySource(value: unknown, what: string): (() => Key | Promise<Key>) | undefined {
  if (value === undefined) {
    return undefined
  }
  if (isKey(value)) {
    const key = value
    if (key.type === 'public') {
      throw new TypeError(`${what}: a public key cannot sign`)
    }
    return () => key
  }
  if (isKeyMaterial(value)) {
    const { material, algorithm, keyId } = value
    if (algorithm !== undefined && !ALGORITHMS.includes(algorithm as Algorithm)) {
      throw new TypeError(`${what}: unsupported algorithm ${String(algorithm)}`)
    }
    let imported: Promise<Key> | undefined
    let ready: Key | undefined
    return () => {
      if (ready !== undefined) {
        return ready
      }
      if (imported === undefined) {
        imported = importKey(material, {
          ...(algorithm === undefined ? {} : { algorithm }),
          ...(keyId === undefined ? {} : { keyId }),
        }).then((key) => {
          if (key.type === 'public') {
            throw new TypeError(`${what}: a public key cannot sign`)
          }
          ready = key
          return key
        })
        imported.catch(() => {
          imported = undefined
        })
      }
      return imported
    }
  }
  throw new TypeError(`${what}: expected a Key from importKey or { material, algorithm, keyId }`)
}

function signaturePlan(
  options: SignatureOptions,
  defaults: SignatureOptions,
  what: string,
  requested?: AcceptSignatureMember,
): SignaturePlan {
  const merged = { ...defaults, ...options } as Record<string, unknown>
  const keyring = merged.keyring as KeyRing | undefined
  if (keyring !== undefined && (!isRecord(keyring) || typeof keyring.signingKey !== 'function')) {
    throw new TypeError(`${what}: keyring must come from createKeyRing`)
  }
  const key = keySource(merged.key as SigningKey | undefined, what)
  if (key === undefined && keyring === undefined) {
    throw new TypeError(`${what}: a key or keyring is required`)
  }
  const label = merged.label
  if (label !== undefined && (typeof label !== 'string' || !LABEL.test(label))) {
    throw new TypeError(`${what}: label must match [a-z*][a-z0-9_.*-]* (at most 64 characters)`)
  }
  const expiresIn = merged.expiresIn
  if (
    expiresIn !== undefined &&
    (typeof expiresIn !== 'number' || !Number.isSafeInteger(expiresIn) || expiresIn <= 0)
  ) {
    throw new TypeError(`${what}: expiresIn must be a positive integer number of seconds`)
  }
  const nonce = merged.nonce === false ? false : checkString(merged.nonce, `${what}: nonce`)
  const keyid = merged.keyid === false ? false : checkString(merged.keyid, `${what}: keyid`)
  if (merged.alg !== undefined && typeof merged.alg !== 'boolean') {
    throw new TypeError(`${what}: alg must be a boolean`)
  }
  return {
    label: label as string | undefined,
    key,
    keyring,
    components:
      merged.components === undefined
        ? undefined
        : checkComponents(merged.components, `${what}: components`),
    created: checkTime(merged.created, `${what}: created`),
    expires: checkTime(merged.expires, `${what}: expires`),
    expiresIn: expiresIn as number | undefined,
    nonce,
    keyid,
    alg: merged.alg === true,
    tag: checkString(merged.tag, `${what}: tag`),
    ...(requested === undefined ? {} : { requested }),
  }
}

/** Plans the signatures that an `Accept-Signature` value asks for. */
export function acceptSignaturePlans(
  value: unknown,
  defaults: SignatureOptions,
  what: string,
): SignaturePlan[] {
  if (typeof value !== 'string') {
    throw new TypeError(`${what}: acceptSignature must be the Accept-Signature field value`)
  }
  const members = asTypeError(() => parseAcceptSignature(value))
  if (members.size === 0) {
    throw new TypeError(`${what}: the Accept-Signature value asks for no signature`)
  }
  const { signatures: _s, acceptSignature: _a, ...base } = defaults as SignRequestOptions
  return [...members.values()].map((member) => {
    asTypeError(() => validateComponents(member.components))
    const nonce = member.params.get('nonce')
    const tag = member.params.get('tag')
    const plan = signaturePlan(
      {
        label: member.label,
        components: member.components.map((c) => c.id),
        ...(typeof nonce === 'string' ? { nonce } : nonce === true ? { nonce: undefined } : {}),
        ...(typeof tag === 'string' ? { tag } : {}),
        ...(member.params.has('alg') ? { alg: true } : {}),
        ...(member.params.has('expires') &&
        base.expires === undefined &&
        base.expiresIn === undefined
          ? { expiresIn: 300 }
          : {}),
      },
      base,
      `${what} (Accept-Signature ${member.label})`,
      member,
    )
    return plan
  })
}

/** Checks request or response options and plans their signatures. */
export function createPlan(options: unknown, kind: 'request' | 'response'): Plan {
  const what = kind === 'request' ? 'signRequest options' : 'signResponse options'
  if (!isRecord(options)) {
    throw new TypeError(`${what} must be an object`)
  }
  checkKeys(options, kind === 'request' ? REQUEST_KEYS : RESPONSE_KEYS, what)
  const o = options as SignResponseOptions
  const digest = o.digest ?? 'sha-256'
  if (digest !== false && digest !== 'sha-256' && digest !== 'sha-512') {
    throw new TypeError(`${what}: digest must be 'sha-256', 'sha-512' or false`)
  }
  const structuredFields = o.structuredFields
  if (structuredFields !== undefined && !isRecord(structuredFields)) {
    throw new TypeError(`${what}: structuredFields must be an object`)
  }
  const offload = o.offload ?? false
  if (typeof offload !== 'boolean' && typeof offload !== 'function') {
    throw new TypeError(`${what}: offload must be a boolean or a function`)
  }
  const {
    signatures,
    acceptSignature,
    digest: _d,
    structuredFields: _f,
    request: _r,
    offload: _o,
    ...defaults
  } = o
  let plans: SignaturePlan[]
  if (acceptSignature !== undefined) {
    if (signatures !== undefined) {
      throw new TypeError(`${what}: use either signatures or acceptSignature, not both`)
    }
    plans = acceptSignaturePlans(acceptSignature, defaults, what)
  } else if (signatures !== undefined) {
    if (!Array.isArray(signatures) || signatures.length === 0) {
      throw new TypeError(`${what}: signatures must be a non-empty array`)
    }
    plans = signatures.map((s: unknown, i) => {
      if (!isRecord(s)) {
        throw new TypeError(`${what}: signatures[${i}] must be an object`)
      }
      checkKeys(s, SIGNATURE_KEYS, `${what}: signatures[${i}]`)
      return signaturePlan(s as SignatureOptions, defaults, `${what}: signatures[${i}]`)
    })
  } else {
    plans = [signaturePlan({}, defaults, what)]
  }
  const labels = plans.map((p) => p.label).filter((l) => l !== undefined)
  if (new Set(labels).size !== labels.length) {
    throw new TypeError(`${what}: two signatures use the same label`)
  }
  return {
    signatures: plans,
    coversDigest: coversDigest(plans),
    digest,
    structuredFields,
    offload,
  }
}

function coversDigest(plans: readonly SignaturePlan[]): boolean {
  return plans.some(
    (s) => s.components?.some((c) => c.name === 'content-digest' && !c.params.has('req')) ?? false,
  )
}

/** Applies per-call overrides to a plan (the slower path: only what changes is re-planned). */
export function withCallOptions(
  plan: Plan,
  options: SignCallOptions | undefined,
  defaults: SignRequestOptions,
): Plan {
  if (options === undefined) {
    return plan
  }
  if (!isRecord(options)) {
    throw new TypeError('per-call signing options must be an object')
  }
  checkKeys(options, CALL_KEYS, 'per-call signing options')
  const { acceptSignature, created, expires, nonce, tag } = options
  const overrides: SignatureOptions = {
    ...(created === undefined
      ? {}
      : { created: checkTime(created, 'created') as number | Date | false }),
    ...(expires === undefined
      ? {}
      : { expires: checkTime(expires, 'expires') as number | Date | false }),
    ...(nonce === undefined
      ? {}
      : { nonce: nonce === false ? false : (checkString(nonce, 'nonce') as string) }),
    ...(tag === undefined ? {} : { tag: checkString(tag, 'tag') as string }),
  }
  if (acceptSignature !== undefined) {
    const {
      signatures: _s,
      acceptSignature: _a,
      digest: _d,
      structuredFields: _f,
      offload: _o,
      ...base
    } = defaults
    const signatures = acceptSignaturePlans(acceptSignature, { ...base, ...overrides }, 'signing')
    return { ...plan, signatures, coversDigest: coversDigest(signatures) }
  }
  return { ...plan, signatures: plan.signatures.map((s) => ({ ...s, ...overridesFor(overrides) })) }
}

function overridesFor(o: SignatureOptions): Partial<SignaturePlan> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) {
    if (v !== undefined) {
      out[k] = v
    }
  }
  return out as Partial<SignaturePlan>
}
