/**
 * Fast serialisation of the structured-field shapes RFC 9421 writes on every message: component
 * identifiers (`"@query-param";name="id"`) and `@signature-params` inner lists. Only Strings,
 * Integers and Booleans in Parameters take the fast path; anything else (Tokens, Byte Sequences,
 * Decimals, Dates, Display Strings, an odd key) is handed to the structured-fields module, so the
 * output is always exactly what that module writes (the tests check both against each other).
 * Not exported from the package.
 *
 * @module
 */
import {
  type BareItem,
  type InnerList,
  type Item,
  type Parameters,
  serializeItem,
  serializeList,
} from '../structured-fields.ts'
import { isSfKey } from './internal.ts'

const MAX_INTEGER = 999_999_999_999_999
const ESCAPED = /["\\]/g

/** An sf-string, or `undefined` when `value` is not printable ASCII (the slow path then throws). */
function fastString(value: string): string | undefined {
  // One pass: printable ASCII only (else the slow path throws), and whether to escape.
  let escaped = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) {
      return undefined
    }
    if (c === 0x22 || c === 0x5c) {
      escaped = true
    }
  }
  return escaped ? `"${value.replace(ESCAPED, '\\$&')}"` : `"${value}"`
}

function fastBareItem(value: BareItem): string | undefined {
  switch (typeof value) {
    case 'string':
      return fastString(value)
    case 'number':
      return Number.isInteger(value) && value >= -MAX_INTEGER && value <= MAX_INTEGER
        ? String(value === 0 ? 0 : value)
        : undefined
    case 'boolean':
      return value ? '?1' : '?0'
    default:
      return undefined
  }
}

function fastParameters(params: ReadonlyMap<string, BareItem>): string | undefined {
  if (params.size === 0) {
    return ''
  }
  let out = ''
  for (const [key, value] of params) {
    if (!isSfKey(key)) {
      return undefined
    }
    if (value === true) {
      out += `;${key}`
      continue
    }
    const text = fastBareItem(value)
    if (text === undefined) {
      return undefined
    }
    out += `;${key}=${text}`
  }
  return out
}

function fastItem(value: BareItem, params: ReadonlyMap<string, BareItem>): string | undefined {
  const head = fastBareItem(value)
  if (head === undefined) {
    return undefined
  }
  const tail = fastParameters(params)
  return tail === undefined ? undefined : head + tail
}

/**
 * Serialises Parameters (`;key=value…`) as the structured-fields module does, or returns
 * `undefined` when one needs the slow path (the caller then serialises the whole structure).
 */
export function serializeParametersFast(params: ReadonlyMap<string, BareItem>): string | undefined {
  return fastParameters(params)
}

/**
 * Serialises an Item (`[value, parameters]`) as the structured-fields module does.
 *
 * @throws `TypeError` or `RangeError` as `serializeItem` when the value cannot be serialised.
 */
export function serializeItemFast(value: BareItem, params: ReadonlyMap<string, BareItem>): string {
  return fastItem(value, params) ?? serializeItem([value, params as Parameters] as Item)
}

/**
 * Serialises an Inner List with its Parameters as the structured-fields module does
 * (`serializeList([innerList])`).
 *
 * @throws `TypeError` or `RangeError` as `serializeList` when the value cannot be serialised.
 */
export function serializeInnerListFast(innerList: InnerList): string {
  const [items, params] = innerList
  if (Array.isArray(items) && params instanceof Map) {
    let out = '('
    let ok = true
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      const text =
        Array.isArray(item) && item.length === 2 && item[1] instanceof Map
          ? fastItem(item[0], item[1])
          : undefined
      if (text === undefined) {
        ok = false
        break
      }
      out += i === 0 ? text : ` ${text}`
    }
    if (ok) {
      const tail = fastParameters(params)
      if (tail !== undefined) {
        return `${out})${tail}`
      }
    }
  }
  return serializeList([innerList])
}
