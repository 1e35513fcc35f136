/**
 * Strict JSON for untrusted bodies: a nesting cap checked by a linear scan before parsing (a
 * 100k-deep array parses, but overflows the stack in any recursive walk afterwards), then
 * `JSON.parse`, then an iterative walk that refuses prototype-polluting keys.
 *
 * @internal
 * @module
 */
import { RequestError } from '@countersign/core'

/** Keys refused anywhere in a body: they pollute prototypes when merged into plain objects. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/** The deepest nesting of arrays and objects in `text`, counting only brackets outside strings. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) {
        i++ // skip the escaped character
      } else if (c === 0x22) {
        inString = false
      }
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) {
      depth++
      if (depth > max) {
        max = depth
        if (max > limit) {
          return max
        }
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return max
}

/**
 * Parses untrusted JSON text strictly.
 *
 * @throws {@link @countersign/core!RequestError} `invalid_json` when the text is not JSON; `malformed` when it
 *   nests deeper than `maxDepth` or holds a `__proto__`, `constructor` or `prototype` key.
 */
export function parseStrictJson(text: string, maxDepth: number): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new RequestError('malformed', `JSON nested deeper than ${maxDepth} levels`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new RequestError('invalid_json', 'the body is not valid JSON')
  }
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const item = stack.pop()
    if (typeof item !== 'object' || item === null) {
      continue
    }
    if (Array.isArray(item)) {
      for (const element of item) {
        stack.push(element)
      }
      continue
    }
    for (const key of Object.keys(item)) {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new RequestError('malformed', `JSON key ${JSON.stringify(key)} is not allowed`)
      }
      stack.push((item as Record<string, unknown>)[key])
    }
  }
  return value
}

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
