/**
 * The RFC 9421 signature base (§2.5): one line per covered component, then the
 * `@signature-params` line, joined by LF with no trailing newline.
 *
 * @module
 */
import { RequestError, SignatureError } from '../errors.ts'
import {
  type BareItem,
  ByteSequence,
  type InnerList,
  type Item,
  type Parameters,
  parseDictionary,
  parseItem,
  parseList,
  serializeDictionary,
  serializeItem,
  serializeList,
} from '../structured-fields.ts'
import { type ComponentIdentifier, validateComponents } from './components.ts'
import { canonicalFieldValue, encodeByteString, isPrintableAscii } from './internal.ts'
import { type HttpMessage, type MessageView, toMessageView } from './message.ts'
import { serializeInnerListFast, serializeParametersFast } from './serialize.ts'

/** The value of one signature parameter. */
export type SignatureParamValue = string | number | boolean

/**
 * Signature parameters (RFC 9421 §2.3), serialised in the order of the object's keys. Unknown
 * parameters are carried as they are.
 */
export interface SignatureParams {
  /** Creation time, Unix seconds. */
  created?: number
  /** Expiry time, Unix seconds. */
  expires?: number
  /** A single-use random value. */
  nonce?: string
  /** The algorithm name from the HTTP Signature Algorithms registry. */
  alg?: string
  /** The key id. */
  keyid?: string
  /** An application-specific tag. */
  tag?: string
  [name: string]: SignatureParamValue | undefined
}

/** How to read a structured field for `;sf` and `;key`. */
export type StructuredFieldType = 'item' | 'list' | 'dictionary'

/** Options for {@link createSignatureBase}. */
export interface SignatureBaseOptions {
  /**
   * Types of structured fields beyond the built-in table (`signature-input`, `content-digest`,
   * `priority`, …), for `;sf`. Names are lowercase.
   */
  structuredFields?: Readonly<Record<string, StructuredFieldType>>
}

/** A built signature base. */
export interface SignatureBase {
  /** The exact bytes to sign or verify. */
  readonly bytes: Uint8Array
  /** The base as text (one character per byte), for debugging and tests. */
  readonly text: string
  /**
   * The `@signature-params` value: the serialised inner list with parameters, which is also the
   * `Signature-Input` member value for this signature.
   */
  readonly signatureParams: string
  /** The same value as a structured-field inner list. */
  readonly innerList: InnerList
}

/** Fields whose structured type is known (RFC 9421, RFC 9530, RFC 9651 users, RFC 9440). */
const KNOWN_STRUCTURED_FIELDS: Readonly<Record<string, StructuredFieldType>> = {
  'signature-input': 'dictionary',
  signature: 'dictionary',
  'accept-signature': 'dictionary',
  'content-digest': 'dictionary',
  'repr-digest': 'dictionary',
  'want-content-digest': 'dictionary',
  'want-repr-digest': 'dictionary',
  priority: 'dictionary',
  'cdn-cache-control': 'dictionary',
  'cache-status': 'list',
  'proxy-status': 'list',
  'client-cert': 'item',
  'client-cert-chain': 'list',
  'accept-ch': 'list',
  'sec-ch-ua': 'list',
  'sec-ch-ua-mobile': 'item',
  'sec-ch-ua-platform': 'item',
}

/**
 * Builds the signature base for `components` and `params` over `message` (RFC 9421 §2.5), and
 * the `@signature-params` value that goes into `Signature-Input`.
 *
 * Components are validated first ({@link validateComponents}); then each value is taken from the
 * message: derived components per §2.2 (authority lowercased without the default port, `@query`
 * with its `?`, `@query-param` values re-encoded per §2.2.8), fields per §2.1 (lines trimmed and
 * joined with `", "`; `;sf`, `;key`, `;bs`, `;req`).
 *
 * @example
 * ```ts
 * const base = createSignatureBase(
 *   { method: 'GET', url: 'https://example.com/a', headers: new Headers() },
 *   [parseComponentIdentifier('@method'), parseComponentIdentifier('@target-uri')],
 *   { created: 1700000000, keyid: 'k1' },
 * )
 * base.text // '"@method": GET\n"@target-uri": https://example.com/a\n"@signature-params": ...'
 * ```
 *
 * @throws RequestError `component_unsupported` / `malformed` for an unsupported or malformed
 *   component, or a value that cannot be read; SignatureError `component_missing` when a covered
 *   component is absent from the message.
 */
export function createSignatureBase(
  message: HttpMessage,
  components: readonly ComponentIdentifier[],
  params: SignatureParams | ReadonlyMap<string, BareItem>,
  options: SignatureBaseOptions = {},
): SignatureBase {
  const compiled = compileComponents(components)
  const view = toMessageView(message)
  const map = params instanceof Map ? (params as Parameters) : paramsMap(params as SignatureParams)
  const innerList: InnerList = [compiled.items.slice(), map]
  const tail = serializeParametersFast(map)
  const signatureParams =
    tail === undefined ? serializeInnerListFast(innerList) : compiled.list + tail
  let text = ''
  for (const component of components) {
    text += `${component.id}: ${componentValue(view, component, options)}\n`
  }
  text += `"@signature-params": ${signatureParams}`
  rememberSerialized(innerList, signatureParams)
  return { bytes: encodeByteString(text), text, signatureParams, innerList }
}

/**
 * The `@signature-params` text {@link createSignatureBase} wrote for each inner list it built,
 * so that `serializeSignatures` writes the very text that was signed without serialising it
 * again. Keyed weakly by the inner list: a signer may await its key (a thread pool, a worker)
 * between the two while other messages are signed.
 */
const serializedLists = new WeakMap<InnerList, string>()

function rememberSerialized(innerList: InnerList, text: string): void {
  serializedLists.set(innerList, text)
}

/** The text {@link createSignatureBase} wrote for `innerList`, if it built it. */
export function serializedText(innerList: InnerList): string | undefined {
  return serializedLists.get(innerList)
}

/** Validated components with their inner-list items and `(…)` text, reused for frozen arrays. */
interface CompiledComponents {
  readonly items: readonly Item[]
  readonly list: string
}

const compiledComponents = new WeakMap<readonly ComponentIdentifier[], CompiledComponents>()

/**
 * Validates components and prepares their part of the `@signature-params` line. A frozen array
 * (a signer's planned components) is compiled once; any other array (a verifier's, parsed from
 * the message) is validated on every call.
 */
function compileComponents(components: readonly ComponentIdentifier[]): CompiledComponents {
  const frozen = Object.isFrozen(components)
  if (frozen) {
    const hit = compiledComponents.get(components)
    if (hit !== undefined) {
      return hit
    }
  }
  validateComponents(components)
  const items: Item[] = components.map((c) => [c.name, c.params as Parameters])
  // Each identifier's `id` is its serialised Item, so the list is the ids joined.
  let list = '('
  for (let i = 0; i < components.length; i++) {
    list +=
      i === 0
        ? (components[i] as ComponentIdentifier).id
        : ` ${(components[i] as ComponentIdentifier).id}`
  }
  const compiled = { items, list: `${list})` }
  if (frozen) {
    compiledComponents.set(components, compiled)
  }
  return compiled
}

/**
 * Builds the `@signature-params` inner list from components and parameters. A `Map` of
 * parameters (as parsed from `Signature-Input`) is used as it is, so a verifier reproduces the
 * received order and values exactly.
 */
export function signatureParamsList(
  components: readonly ComponentIdentifier[],
  params: SignatureParams | ReadonlyMap<string, BareItem>,
): InnerList {
  const items: Item[] = components.map((c) => [c.name, c.params as Parameters])
  if (params instanceof Map) {
    return [items, params as Parameters]
  }
  return [items, paramsMap(params as SignatureParams)]
}

/** The parameters of an object, checked, in its key order. */
function paramsMap(params: SignatureParams): Parameters {
  const map: Parameters = new Map()
  for (const name of Object.keys(params)) {
    const value = params[name]
    if (value === undefined) {
      continue
    }
    if (typeof value === 'string' && !isPrintableAscii(value)) {
      throw new RequestError('malformed', `signature parameter ${name} must be printable ASCII`)
    }
    if (
      typeof value === 'number' &&
      (!Number.isSafeInteger(value) || value < 0) &&
      (name === 'created' || name === 'expires')
    ) {
      throw new RequestError(
        'malformed',
        `signature parameter ${name} must be a non-negative integer`,
      )
    }
    map.set(name, value)
  }
  return map
}

/**
 * The value of one component in `view` (RFC 9421 §2.1, §2.2), before it is written into a base.
 *
 * @throws as {@link createSignatureBase}.
 */
export function componentValue(
  view: MessageView,
  component: ComponentIdentifier,
  options: SignatureBaseOptions = {},
): string {
  const { name, params } = component
  let source = view
  if (params.has('req')) {
    if (!view.isResponse) {
      throw new RequestError(
        'component_unsupported',
        `${component.id}: req applies to responses only`,
      )
    }
    if (view.request === undefined) {
      throw new SignatureError(
        'component_missing',
        `${component.id}: the related request is not available`,
      )
    }
    source = view.request
  }
  if (name.startsWith('@')) {
    return derivedValue(source, component)
  }
  const lines = source.field(name)
  if (lines === undefined) {
    throw new SignatureError('component_missing', `field ${name} is not in the message`)
  }
  if (params.has('bs')) {
    return lines
      .map((line) =>
        serializeItem([new ByteSequence(encodeByteString(canonicalFieldValue(line))), new Map()]),
      )
      .join(', ')
  }
  const combined =
    lines.length === 1
      ? canonicalFieldValue(lines[0] as string)
      : lines.map(canonicalFieldValue).join(', ')
  const key = params.get('key')
  if (typeof key === 'string') {
    const dictionary = parseDictionary(combined)
    const member = dictionary.get(key)
    if (member === undefined) {
      throw new SignatureError(
        'component_missing',
        `${component.id}: the dictionary has no member ${key}`,
      )
    }
    return Array.isArray(member[0])
      ? serializeList([member as InnerList])
      : serializeItem(member as Item)
  }
  if (params.has('sf')) {
    const type = options.structuredFields?.[name] ?? KNOWN_STRUCTURED_FIELDS[name]
    if (type === undefined) {
      throw new RequestError(
        'component_unsupported',
        `${component.id}: ${name} is not a known structured field`,
      )
    }
    if (type === 'dictionary') {
      return serializeDictionary(parseDictionary(combined))
    }
    if (type === 'list') {
      return serializeList(parseList(combined))
    }
    return serializeItem(parseItem(combined))
  }
  return combined
}

function derivedValue(view: MessageView, component: ComponentIdentifier): string {
  const { name } = component
  if (name === '@status') {
    if (!view.isResponse) {
      throw new RequestError('component_unsupported', '@status applies to responses only')
    }
    const status = view.status as number
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      throw new RequestError('malformed', 'the response status is not a three-digit code')
    }
    return String(status)
  }
  if (view.isResponse) {
    throw new RequestError('component_unsupported', `${name} on a response needs the req parameter`)
  }
  if (name === '@method') {
    const method = view.method
    if (typeof method !== 'string' || method.length === 0) {
      throw new SignatureError('component_missing', 'the request has no method')
    }
    return method
  }
  const target = view.target()
  switch (name) {
    case '@target-uri':
      return target.targetUri
    case '@authority':
      return target.authority
    case '@scheme':
      return target.scheme
    case '@request-target':
      return target.requestTarget
    case '@path':
      return target.path
    case '@query':
      return target.query
    case '@query-param':
      return queryParamValue(target.query, component)
    default:
      throw new RequestError('component_unsupported', `derived component ${name} is not supported`)
  }
}

/**
 * The `application/x-www-form-urlencoded percent-encode set` applied after UTF-8 encoding, with
 * space as `%20` (RFC 9421 §2.2.8): only ASCII alphanumerics and `*-._` stay as they are.
 */
export function encodeQueryParamPart(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

function queryParamValue(query: string, component: ComponentIdentifier): string {
  const wanted = component.params.get('name') as string
  let found: string | undefined
  let count = 0
  for (const [name, value] of new URLSearchParams(query.slice(1))) {
    if (encodeQueryParamPart(name) === wanted) {
      found = value
      count++
    }
  }
  if (count === 0 || found === undefined) {
    throw new SignatureError(
      'component_missing',
      `${component.id}: the query has no parameter ${wanted}`,
    )
  }
  if (count > 1) {
    throw new RequestError('malformed', `${component.id}: the query holds ${wanted} more than once`)
  }
  return encodeQueryParamPart(found)
}
