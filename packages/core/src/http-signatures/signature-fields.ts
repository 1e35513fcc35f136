/**
 * The `Signature-Input`, `Signature` and `Accept-Signature` fields (RFC 9421 §4, §5), parsed and
 * serialised as structured-field Dictionaries through core's structured-fields module.
 *
 * @module
 */
import { toBase64 } from '../encoding.ts'
import { RequestError } from '../errors.ts'
import {
  type BareItem,
  type Dictionary,
  type InnerList,
  type Item,
  type Parameters,
  serializeDictionary,
} from '../structured-fields.ts'
import { type ComponentIdentifier, componentFromItem, shareComponents } from './components.ts'
import { byteSequenceValue, isSfKey } from './internal.ts'
import {
  InnerListCache,
  isSharedItemList,
  parseFieldDictionary,
  singleByteSequence,
} from './parse.ts'
import { serializeInnerListFast } from './serialize.ts'
import { type SignatureParams, serializedText, signatureParamsList } from './signature-base.ts'

/** One parsed `Signature-Input` member. */
export interface SignatureInputMember {
  /** The signature label (the dictionary key). */
  readonly label: string
  /** The covered components, in order. */
  readonly components: readonly ComponentIdentifier[]
  /** The signature parameters, in order, with known ones type-checked. */
  readonly params: SignatureParams
  /** The inner list as received (parameters in received order), for the `@signature-params` line. */
  readonly innerList: InnerList
}

/** One parsed `Accept-Signature` member: what a server asks a signer to cover and include. */
export interface AcceptSignatureMember {
  /** The label the signature must use. */
  readonly label: string
  /** The components to cover. */
  readonly components: readonly ComponentIdentifier[]
  /**
   * Requested parameters: a value to use (`keyid="k1"`, `tag="app"`, `nonce="…"`, `alg="…"`) or
   * `true` for "include one" (`created`, `expires`, `nonce`).
   */
  readonly params: ReadonlyMap<string, BareItem>
}

/** One signature to write into `Signature-Input` and `Signature`. */
export interface SignatureEntry {
  /** The label: an sf key (`[a-z*][a-z0-9_.*-]*`). */
  label: string
  /** The `@signature-params` inner list, as returned by `createSignatureBase`. */
  innerList: InnerList
  /** The signature bytes. */
  signature: Uint8Array
}

/**
 * Parses a `Signature-Input` value into its members, keyed by label.
 *
 * @example
 * ```ts
 * const members = parseSignatureInput('sig1=("@method" "@target-uri");created=1700000000;keyid="k1"')
 * members.get('sig1')?.params.keyid // 'k1'
 * ```
 *
 * @throws RequestError `malformed` when the value is not a Dictionary of inner lists of strings
 *   or a known parameter has the wrong type; `duplicate_header` when a label appears twice (two
 *   field lines joined by a comma).
 */
export function parseSignatureInput(value: string): Map<string, SignatureInputMember> {
  const dictionary = parseUniqueDictionary(value, 'Signature-Input', signatureInputLists)
  const members = new Map<string, SignatureInputMember>()
  for (const [label, member] of dictionary) {
    const [items, parameters] = innerListOf(member, 'Signature-Input', label)
    members.set(label, {
      label,
      components: componentsOf(items),
      params: readSignatureParams(parameters, label),
      innerList: member as InnerList,
    })
  }
  return members
}

/**
 * Parses a `Signature` value: label to signature bytes.
 *
 * @example
 * ```ts
 * parseSignature('sig1=:AAEC:').get('sig1') // Uint8Array [0, 1, 2]
 * ```
 *
 * @throws RequestError `malformed` when the value is not a Dictionary of Byte Sequences;
 *   `duplicate_header` when a label appears twice.
 */
export function parseSignature(value: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>()
  const single = singleByteSequence(value)
  if (single !== undefined) {
    // One signature, `label=:base64:`: what the Dictionary parser would return, without it.
    return out.set(single.key, single.bytes)
  }
  const dictionary = parseUniqueDictionary(value, 'Signature')
  for (const [label, member] of dictionary) {
    const bytes = Array.isArray(member[0]) ? undefined : byteSequenceValue(member[0] as BareItem)
    if (bytes === undefined) {
      throw new RequestError('malformed', `Signature member ${label} is not a byte sequence`)
    }
    out.set(label, bytes)
  }
  return out
}

/**
 * Serialises signatures into `Signature-Input` and `Signature` values.
 *
 * @example
 * ```ts
 * const base = createSignatureBase(message, components, params)
 * const { signatureInput, signature } = serializeSignatures([
 *   { label: 'sig1', innerList: base.innerList, signature: await key.sign(base.bytes) },
 * ])
 * ```
 *
 * @throws `TypeError` on an invalid or repeated label.
 */
export function serializeSignatures(entries: readonly SignatureEntry[]): {
  signatureInput: string
  signature: string
} {
  const labels = new Set<string>()
  let signatureInput = ''
  let signature = ''
  for (const entry of entries) {
    if (!isSfKey(entry.label)) {
      throw new TypeError(
        `invalid signature label ${JSON.stringify(entry.label)}: use [a-z*][a-z0-9_.*-]*`,
      )
    }
    if (labels.has(entry.label)) {
      throw new TypeError(`signature label ${entry.label} is used twice`)
    }
    if (!(entry.signature instanceof Uint8Array)) {
      throw new TypeError('expected signature to be a Uint8Array')
    }
    labels.add(entry.label)
    const separator = signatureInput === '' ? '' : ', '
    const list = serializedText(entry.innerList) ?? serializeInnerListFast(entry.innerList)
    signatureInput += `${separator}${entry.label}=${list}`
    signature += `${separator}${entry.label}=:${toBase64(entry.signature)}:`
  }
  return { signatureInput, signature }
}

/**
 * Parses an `Accept-Signature` value (RFC 9421 §5.1): which signatures a server wants.
 *
 * @example
 * ```ts
 * const wanted = parseAcceptSignature('sig1=("@method" "@target-uri");created;nonce;keyid="k1"')
 * wanted.get('sig1')?.params.get('keyid') // 'k1'
 * ```
 *
 * @throws RequestError `malformed` when the value is not a Dictionary of inner lists of strings.
 */
export function parseAcceptSignature(value: string): Map<string, AcceptSignatureMember> {
  const dictionary = parseUniqueDictionary(value, 'Accept-Signature')
  const members = new Map<string, AcceptSignatureMember>()
  for (const [label, member] of dictionary) {
    const [items, parameters] = innerListOf(member, 'Accept-Signature', label)
    members.set(label, {
      label,
      components: items.map(componentFromItem),
      params: new Map(parameters),
    })
  }
  return members
}

/**
 * Serialises an `Accept-Signature` value. A parameter set to `true` is written as a bare flag
 * (`created`, `nonce`: "include one"); strings and integers are written as values.
 *
 * @example
 * ```ts
 * serializeAcceptSignature([{ label: 'sig1', components, params: new Map([['created', true]]) }])
 * // 'sig1=("@method" "@target-uri");created'
 * ```
 */
export function serializeAcceptSignature(members: readonly AcceptSignatureMember[]): string {
  const dictionary: Dictionary = new Map()
  for (const member of members) {
    if (!isSfKey(member.label)) {
      throw new TypeError(`invalid signature label ${JSON.stringify(member.label)}`)
    }
    const [items] = signatureParamsList(member.components, {})
    dictionary.set(member.label, [items, new Map(member.params) as Parameters])
  }
  return serializeDictionary(dictionary)
}

/** The component lists of `Signature-Input` values: a signer covers the same ones every time. */
const signatureInputLists = new InnerListCache()
/** The components of each shared (cached, read-only) items array, built once. */
const sharedComponents = new WeakMap<readonly Item[], readonly ComponentIdentifier[]>()

/**
 * The component identifiers of an inner list's items. For a shared items array (see
 * `InnerListCache`) they are built once and shared too: a frozen array of frozen identifiers
 * whose parameters are read-only.
 *
 * @throws RequestError `malformed` when an item is not a non-empty sf-string.
 */
function componentsOf(items: readonly Item[]): readonly ComponentIdentifier[] {
  if (!isSharedItemList(items)) {
    return items.map(componentFromItem)
  }
  let components = sharedComponents.get(items)
  if (components === undefined) {
    components = Object.freeze(items.map(componentFromItem))
    shareComponents(components)
    sharedComponents.set(items, components)
  }
  return components
}

function parseUniqueDictionary(value: string, field: string, cache?: InnerListCache): Dictionary {
  if (typeof value !== 'string') {
    throw new TypeError(`expected the ${field} value to be a string`)
  }
  const { dictionary, duplicateKeys } = parseFieldDictionary(value, field, cache)
  if (duplicateKeys) {
    throw new RequestError('duplicate_header', `${field} names the same label twice`)
  }
  return dictionary
}

function innerListOf(member: Item | InnerList, field: string, label: string): [Item[], Parameters] {
  if (!Array.isArray(member[0])) {
    throw new RequestError('malformed', `${field} member ${label} is not an inner list`)
  }
  return member as InnerList
}

function readSignatureParams(parameters: Parameters, label: string): SignatureParams {
  const params: SignatureParams = {}
  // The known names are stored by constant property names (no key lookup for a parsed string).
  for (const [name, value] of parameters) {
    switch (name) {
      case 'created':
        params.created = integerParam(name, value, label)
        break
      case 'expires':
        params.expires = integerParam(name, value, label)
        break
      case 'nonce':
        params.nonce = stringParam(name, value, label)
        break
      case 'keyid':
        params.keyid = stringParam(name, value, label)
        break
      case 'alg':
        params.alg = stringParam(name, value, label)
        break
      case 'tag':
        params.tag = stringParam(name, value, label)
        break
      default:
        // Extension parameters of other types (tokens, bytes, dates) are kept out of the typed
        // view; they still take part in the signature base through `innerList`.
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
          params[name] = value
        }
    }
  }
  return params
}

function integerParam(name: string, value: BareItem, label: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RequestError(
      'malformed',
      `Signature-Input ${label}: ${name} must be a non-negative integer`,
    )
  }
  return value
}

function stringParam(name: string, value: BareItem, label: string): string {
  if (typeof value !== 'string') {
    throw new RequestError('malformed', `Signature-Input ${label}: ${name} must be a string`)
  }
  return value
}
