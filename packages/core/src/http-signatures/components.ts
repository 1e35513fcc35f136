/**
 * RFC 9421 component identifiers: a component name (an HTTP field name, lowercased, or a derived
 * component such as `@method`) with parameters, written as a structured-field Item, e.g.
 * `"@query-param";name="Pet"` or `"content-digest";req`.
 *
 * @module
 */
import { RequestError } from '../errors.ts'
import { type BareItem, type Item, parseItem } from '../structured-fields.ts'
import { isLowercaseFieldName, isPrintableAscii } from './internal.ts'
import { serializeItemFast } from './serialize.ts'

/** The derived components of RFC 9421 §2.2 that Countersign supports. */
export const DERIVED_COMPONENTS: readonly string[] = [
  '@method',
  '@target-uri',
  '@authority',
  '@scheme',
  '@request-target',
  '@path',
  '@query',
  '@query-param',
  '@status',
]

/**
 * A parsed component identifier. `id` is its structured-field serialisation, which is exactly how
 * it appears in `Signature-Input` and at the start of its signature-base line.
 */
export interface ComponentIdentifier {
  /** `@method`, `content-type`, … */
  readonly name: string
  /** Parameters in the order written: `sf`, `bs`, `req` are `true`; `key` and `name` strings. */
  readonly params: ReadonlyMap<string, BareItem>
  /** The serialised identifier, e.g. `"@query-param";name="Pet"`. */
  readonly id: string
}

/**
 * Reads a component identifier from text: either the structured-field form
 * (`"@query-param";name="id"`, `"content-digest";req`) or, for convenience, a bare name
 * (`@method`, `Content-Type`; field names are lowercased).
 *
 * Only the syntax is checked here; whether the component is supported is checked when a
 * signature base is built ({@link validateComponents}).
 *
 * @example
 * ```ts
 * parseComponentIdentifier('"@query-param";name="Pet"').id // '"@query-param";name="Pet"'
 * parseComponentIdentifier('Content-Type').id // '"content-type"'
 * ```
 *
 * @throws RequestError `malformed` when the text is not a string Item.
 */
export function parseComponentIdentifier(text: string): ComponentIdentifier {
  if (typeof text !== 'string') {
    throw new TypeError(`expected a component identifier string, got ${typeof text}`)
  }
  if (text.startsWith('"')) {
    return componentFromItem(parseItem(text))
  }
  const name = text.startsWith('@') ? text : text.toLowerCase()
  if (!isPrintableAscii(name) || name.length === 0) {
    throw new RequestError('malformed', 'a component name must be printable ASCII')
  }
  return createComponentIdentifier(name)
}

/**
 * Creates a component identifier from a name and parameters.
 *
 * @example
 * ```ts
 * createComponentIdentifier('@query-param', { name: 'Pet' }).id // '"@query-param";name="Pet"'
 * createComponentIdentifier('content-digest', { req: true }).id // '"content-digest";req'
 * ```
 */
export function createComponentIdentifier(
  name: string,
  params: Readonly<Record<string, string | boolean>> | ReadonlyMap<string, BareItem> = new Map(),
): ComponentIdentifier {
  const map: Map<string, BareItem> =
    params instanceof Map
      ? new Map(params)
      : new Map(Object.entries(params as Record<string, string | boolean>))
  if (typeof name !== 'string' || !isPrintableAscii(name) || name.length === 0) {
    throw new RequestError(
      'malformed',
      'a component name must be a non-empty printable ASCII string',
    )
  }
  for (const [key, value] of map) {
    if (typeof value === 'string' && !isPrintableAscii(value)) {
      throw new RequestError('malformed', `component parameter ${key} must be printable ASCII`)
    }
  }
  return Object.freeze({ name, params: map, id: serializeItemFast(name, map) })
}

/**
 * Turns a parsed structured-field Item (a member of a `Signature-Input` inner list) into a
 * component identifier.
 *
 * @throws RequestError `malformed` when the item is not an sf-string.
 */
export function componentFromItem(item: Item): ComponentIdentifier {
  const [value, params] = item
  if (typeof value !== 'string' || value.length === 0) {
    throw new RequestError('malformed', 'a component identifier must be a non-empty string')
  }
  // A parsed sf-string and its parameters' strings are printable ASCII already, and the
  // parameters are the parser's own Map: no copy or re-check needed.
  return Object.freeze({ name: value, params, id: serializeItemFast(value, params) })
}

/** A key that is equal for identifiers naming the same component (parameter order ignored). */
export function componentKey(component: ComponentIdentifier): string {
  if (component.params.size === 0) {
    return component.name
  }
  const parts = [...component.params].map(
    ([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`,
  )
  parts.sort()
  return `${component.name};${parts.join(';')}`
}

/**
 * Component lists shared between messages (parsed once from the same `Signature-Input` text),
 * to whether they were found valid: they cannot change (a frozen array of frozen identifiers
 * with read-only parameters), so they are validated once.
 */
const sharedLists = new WeakMap<readonly ComponentIdentifier[], boolean>()

/**
 * Marks `components` as shared and immutable: a frozen array of frozen identifiers whose
 * parameter maps are read-only. Internal to the http-signatures modules.
 */
export function shareComponents(components: readonly ComponentIdentifier[]): void {
  sharedLists.set(components, false)
}

const FIELD_FLAGS = new Set(['sf', 'bs', 'req'])

/**
 * Checks components against RFC 9421 and Countersign's profile: known derived components only,
 * `name` on `@query-param` only, field parameters `sf`, `key`, `bs`, `req` only (no `tr`: trailers
 * are not signed), `bs` never with `sf` or `key`, field names lowercase, and no component twice.
 *
 * @throws RequestError `component_unsupported` for an unsupported component or parameter, or
 *   `malformed` for a wrong parameter type, an uppercase field name or a duplicate.
 */
export function validateComponents(components: readonly ComponentIdentifier[]): void {
  const shared = sharedLists.get(components)
  if (shared === true) {
    return
  }
  const seen = new Set<string>()
  for (const component of components) {
    validateComponent(component)
    const key = componentKey(component)
    if (seen.has(key)) {
      throw new RequestError('malformed', `component ${component.id} is listed twice`)
    }
    seen.add(key)
  }
  if (shared === false) {
    sharedLists.set(components, true)
  }
}

function validateComponent(component: ComponentIdentifier): void {
  const { name, params } = component
  if (name.startsWith('@')) {
    if (!DERIVED_COMPONENTS.includes(name)) {
      throw new RequestError('component_unsupported', `derived component ${name} is not supported`)
    }
    for (const [key, value] of params) {
      if (key === 'req') {
        expectTrue(component, key, value)
      } else if (key === 'name' && name === '@query-param') {
        if (typeof value !== 'string') {
          throw new RequestError('malformed', `${component.id}: name must be a string`)
        }
      } else {
        throw new RequestError(
          'component_unsupported',
          `${component.id}: parameter ${key} is not supported`,
        )
      }
    }
    if (name === '@query-param' && !params.has('name')) {
      throw new RequestError('malformed', '@query-param needs a name parameter')
    }
    return
  }
  if (!isLowercaseFieldName(name)) {
    throw new RequestError(
      'malformed',
      `component ${component.id}: a field name must be a lowercase token`,
    )
  }
  for (const [key, value] of params) {
    if (FIELD_FLAGS.has(key)) {
      expectTrue(component, key, value)
    } else if (key === 'key') {
      if (typeof value !== 'string') {
        throw new RequestError('malformed', `${component.id}: key must be a string`)
      }
    } else if (key === 'tr') {
      throw new RequestError(
        'component_unsupported',
        `${component.id}: trailer fields (;tr) are not signed`,
      )
    } else {
      throw new RequestError(
        'component_unsupported',
        `${component.id}: parameter ${key} is not supported`,
      )
    }
  }
  if (params.has('bs') && (params.has('sf') || params.has('key'))) {
    throw new RequestError(
      'component_unsupported',
      `${component.id}: bs cannot be combined with sf or key`,
    )
  }
}

function expectTrue(component: ComponentIdentifier, key: string, value: BareItem): void {
  if (value !== true) {
    throw new RequestError('malformed', `${component.id}: ${key} must be a bare flag`)
  }
}
