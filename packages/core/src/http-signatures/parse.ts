/**
 * The Dictionary parser behind `Signature-Input`, `Signature` and `Content-Digest`, which are
 * parsed on every verified request. The maintained `structured-headers` parser is the authority,
 * with the same hardening as `parseDictionary` in `structured-fields.ts` (bounded length,
 * visible ASCII only, every failure a `malformed` `RequestError` that never echoes the input).
 *
 * In front of it sits a strict fast path for the shapes these fields take in practice: keys,
 * inner lists, Strings, Integers, Booleans and canonical Byte Sequences in Parameters. It reads
 * by index without building a string per character, and on anything else (a Token, a Decimal,
 * a Date, a Display String, non-canonical base64, an escape it does not expect, any syntax
 * error) it gives up and the library parses the whole value. Whatever it accepts it returns
 * exactly as the library would (the tests check both against each other on generated and
 * mutated input); it never accepts what the library refuses. Not exported from the package.
 *
 * @module
 */
import {
  DisplayString as SfDisplayString,
  Token as SfToken,
  parseDictionary as sfParseDictionary,
} from 'structured-headers'
import { fromBase64 } from '../encoding.ts'
import { RequestError } from '../errors.ts'
import {
  type BareItem,
  ByteSequence,
  type Dictionary,
  DisplayString,
  type InnerList,
  type Item,
  type Parameters,
  Token,
} from '../structured-fields.ts'
import { dictionaryMemberKeys, hasDuplicate } from './internal.ts'

/** As `structured-fields.ts`: the longest field value parsed. */
const MAX_LENGTH = 16 * 1024
const FIELD_PATTERN = /^[\t\x20-\x7e]*$/

function malformed(field: string): RequestError {
  return new RequestError('malformed', `${field} is not a valid structured field`)
}

/** Converts one parsed bare item to core's types, as `structured-fields.ts` does. */
function bareItem(value: unknown, field: string): BareItem {
  switch (typeof value) {
    case 'number':
      return value === 0 ? 0 : value
    case 'string':
    case 'boolean':
      return value
  }
  if (value instanceof ArrayBuffer) {
    return new ByteSequence(new Uint8Array(value))
  }
  if (value instanceof SfToken) {
    return new Token(value.toString())
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw malformed(field)
    }
    return value
  }
  if (value instanceof SfDisplayString) {
    return new DisplayString(value.toString())
  }
  throw malformed(field)
}

function isPrimitive(value: unknown): boolean {
  const type = typeof value
  return type === 'string' || type === 'boolean' || (type === 'number' && value !== 0)
}

/** Converts a parameter map in place. */
function parameters(params: Map<string, unknown>, field: string): Parameters {
  for (const [key, value] of params) {
    if (!isPrimitive(value)) {
      params.set(key, bareItem(value, field))
    }
  }
  return params as Parameters
}

/** Converts an item `[value, params]` in place. */
function item(entry: unknown[], field: string): void {
  const value = entry[0]
  if (!isPrimitive(value)) {
    entry[0] = bareItem(value, field)
  }
  parameters(entry[1] as Map<string, unknown>, field)
}

/** A parsed Dictionary and whether a key appeared twice (the parser keeps the last). */
export interface ParsedDictionary {
  readonly dictionary: Dictionary
  readonly duplicateKeys: boolean
}

/**
 * Parses a Dictionary field value: the fast path when it can, else `structured-headers`,
 * hardened as core's `parseDictionary`. Also says whether a key appeared twice (two field lines
 * joined by a comma), which the parsed Map cannot show.
 *
 * @throws RequestError `malformed` when the value is too long, holds anything but visible ASCII,
 *   space and tab, or is not a valid Dictionary; `TypeError` when it is not a string.
 */
export function parseFieldDictionary(
  input: string,
  field: string,
  cache?: InnerListCache,
): ParsedDictionary {
  if (typeof input !== 'string') {
    throw new TypeError(`expected the ${field} value to be a string`)
  }
  if (input.length > MAX_LENGTH || !FIELD_PATTERN.test(input)) {
    throw malformed(field)
  }
  let end = input.length
  while (end > 0 && input.charCodeAt(end - 1) === 32) {
    end--
  }
  const text = end === input.length ? input : input.slice(0, end)
  const fast = fastDictionary(text, cache)
  if (fast !== undefined) {
    return fast
  }
  let parsed: Map<string, unknown[]>
  try {
    parsed = sfParseDictionary(text) as Map<string, unknown[]>
  } catch {
    // The library's message quotes the input; it is dropped, not chained as `cause`.
    throw malformed(field)
  }
  for (const member of parsed.values()) {
    if (Array.isArray(member[0])) {
      for (const entry of member[0] as unknown[][]) {
        item(entry, field)
      }
      parameters(member[1] as Map<string, unknown>, field)
    } else {
      item(member, field)
    }
  }
  return {
    dictionary: parsed as unknown as Dictionary,
    duplicateKeys: hasDuplicate(dictionaryMemberKeys(text)),
  }
}

/**
 * The fast path alone: the parsed Dictionary, or `undefined` when it gives up (for the
 * library). `text` must already be checked and trimmed as {@link parseFieldDictionary} does.
 */
export function fastDictionary(text: string, cache?: InnerListCache): ParsedDictionary | undefined {
  return new FastParser(text, cache).dictionary()
}

/**
 * Parameters that cannot be changed: `set`, `delete` and `clear` throw. What the items of a
 * cached inner list carry, since those items are shared between messages.
 */
class ReadonlyParameters extends Map<string, BareItem> {
  override set(_key: string, _value: BareItem): this {
    throw new TypeError('these parameters are shared and read-only')
  }
  override delete(_key: string): boolean {
    throw new TypeError('these parameters are shared and read-only')
  }
  override clear(): void {
    throw new TypeError('these parameters are shared and read-only')
  }
}

function readonlyParameters(params: Parameters): Parameters {
  const out = new ReadonlyParameters()
  for (const [key, value] of params) {
    Map.prototype.set.call(out, key, value)
  }
  return Object.freeze(out)
}

const NO_PARAMETERS: Parameters = readonlyParameters(new Map())

/** The longest inner-list text kept, and how many are kept at most. */
const MAX_CACHED_TEXT = 1024
const MAX_CACHED_LISTS = 64
/** Items arrays handed out by an {@link InnerListCache}: frozen all the way down. */
const sharedItemLists = new WeakSet<readonly Item[]>()

/**
 * Inner lists parsed before, by their exact text from `(` to `)`, so that a field which names the
 * same list on every message (the components of a `Signature-Input`) parses it once. The items
 * handed out are shared between messages, so they are frozen, and their parameters read-only.
 * Only lists of Strings, Integers and Booleans are kept; at most {@link MAX_CACHED_LISTS}, the
 * whole cache is dropped when it is full (so a stream of distinct lists costs a miss each, never
 * unbounded memory).
 */
export class InnerListCache {
  readonly #lists = new Map<string, Item[]>()

  /** The shared items for `text`, if it was parsed before. */
  get(text: string): Item[] | undefined {
    return this.#lists.get(text)
  }

  /** Keeps a shared copy of `items`, just parsed from `text`, and returns it (or `items`). */
  keep(text: string, items: Item[]): Item[] {
    if (text.length > MAX_CACHED_TEXT) {
      return items
    }
    const shared: Item[] = []
    for (const [value, params] of items) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return items
      }
      shared.push(
        Object.freeze([
          value,
          params.size === 0 ? NO_PARAMETERS : readonlyParameters(params),
        ]) as Item,
      )
    }
    Object.freeze(shared)
    if (this.#lists.size >= MAX_CACHED_LISTS) {
      this.#lists.clear()
    }
    this.#lists.set(text, shared)
    sharedItemLists.add(shared)
    return shared
  }
}

/**
 * Whether `items` came from an {@link InnerListCache}: frozen, with read-only parameters, and
 * handed to every message that names the same list (so anything derived from it may be kept).
 */
export function isSharedItemList(items: readonly Item[]): boolean {
  return sharedItemLists.has(items)
}

/** One Dictionary member that is a Byte Sequence without parameters. */
export interface ByteSequenceMember {
  readonly key: string
  readonly bytes: Uint8Array
}

/**
 * The shape `Signature` and `Content-Digest` take with one signature or one digest: exactly
 * `key=:base64:` (canonical base64, no parameters, no whitespace). Returns its key and bytes,
 * as {@link parseFieldDictionary} would parse it, without building a Dictionary; `undefined`
 * for any other value (then the whole value is parsed as usual).
 */
export function singleByteSequence(input: string): ByteSequenceMember | undefined {
  if (typeof input !== 'string' || input.length > MAX_LENGTH) {
    return undefined
  }
  const n = input.length
  const first = input.charCodeAt(0)
  if (!(isLcAlpha(first) || first === 0x2a)) {
    return undefined
  }
  let i = 1
  while (i < n) {
    const c = input.charCodeAt(i)
    if (isLcAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a) {
      i++
    } else {
      break
    }
  }
  const keyEnd = i
  if (
    input.charCodeAt(i) !== C.EQUALS ||
    input.charCodeAt(i + 1) !== C.COLON ||
    input.indexOf(':', i + 2) !== n - 1
  ) {
    return undefined
  }
  let bytes: Uint8Array
  try {
    bytes = fromBase64(input.slice(i + 2, n - 1)) // canonical base64 only
  } catch {
    return undefined
  }
  return { key: input.slice(0, keyEnd), bytes }
}

/** Gave up: the library decides. */
const GIVE_UP = Symbol('give up')

const C = {
  SP: 0x20,
  HTAB: 0x09,
  QUOTE: 0x22,
  BACKSLASH: 0x5c,
  COLON: 0x3a,
  SEMICOLON: 0x3b,
  EQUALS: 0x3d,
  COMMA: 0x2c,
  OPEN: 0x28,
  CLOSE: 0x29,
  QUESTION: 0x3f,
  MINUS: 0x2d,
} as const

function isLcAlpha(c: number): boolean {
  return c >= 0x61 && c <= 0x7a
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/**
 * The strict subset parser. Every method returns `GIVE_UP` (via `fail`) rather than throwing,
 * so that the library, not this code, decides what an unusual value means.
 */
class FastParser {
  readonly #s: string
  readonly #cache: InnerListCache | undefined
  #i = 0

  constructor(text: string, cache: InnerListCache | undefined) {
    this.#s = text
    this.#cache = cache
  }

  dictionary(): ParsedDictionary | undefined {
    const s = this.#s
    const out: Dictionary = new Map()
    let duplicateKeys = false
    while (this.#i < s.length && s.charCodeAt(this.#i) === C.SP) {
      this.#i++
    }
    while (this.#i < s.length) {
      const key = this.#key()
      if (key === GIVE_UP) {
        return undefined
      }
      let member: Item | InnerList | typeof GIVE_UP
      if (s.charCodeAt(this.#i) === C.EQUALS) {
        this.#i++
        member = s.charCodeAt(this.#i) === C.OPEN ? this.#innerList() : this.#item()
      } else {
        const params = this.#params()
        member = params === GIVE_UP ? GIVE_UP : [true, params]
      }
      if (member === GIVE_UP) {
        return undefined
      }
      if (out.has(key)) {
        duplicateKeys = true
      }
      out.set(key, member)
      this.#ows()
      if (this.#i >= s.length) {
        return { dictionary: out, duplicateKeys }
      }
      if (s.charCodeAt(this.#i) !== C.COMMA) {
        return undefined
      }
      this.#i++
      this.#ows()
      if (this.#i >= s.length) {
        return undefined // a trailing comma
      }
    }
    return { dictionary: out, duplicateKeys }
  }

  #ows(): void {
    const s = this.#s
    while (this.#i < s.length) {
      const c = s.charCodeAt(this.#i)
      if (c !== C.SP && c !== C.HTAB) {
        return
      }
      this.#i++
    }
  }

  #key(): string | typeof GIVE_UP {
    const s = this.#s
    const start = this.#i
    const first = s.charCodeAt(start)
    if (!(isLcAlpha(first) || first === 0x2a)) {
      return GIVE_UP
    }
    let i = start + 1
    while (i < s.length) {
      const c = s.charCodeAt(i)
      if (isLcAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a) {
        i++
      } else {
        break
      }
    }
    this.#i = i
    return s.slice(start, i)
  }

  #innerList(): InnerList | typeof GIVE_UP {
    const s = this.#s
    const open = this.#i
    const cache = this.#cache
    if (cache !== undefined) {
      // The text up to the first `)`: when it was parsed before, parsing it again (the same
      // characters, read the same way) ends at that `)` with the same items.
      const close = s.indexOf(')', open)
      const hit = close < 0 ? undefined : cache.get(s.slice(open, close + 1))
      if (hit !== undefined) {
        this.#i = close + 1
        const params = this.#params()
        return params === GIVE_UP ? GIVE_UP : [hit, params]
      }
    }
    this.#i++ // (
    let items: Item[] = []
    while (this.#i < s.length) {
      while (s.charCodeAt(this.#i) === C.SP) {
        this.#i++
      }
      if (s.charCodeAt(this.#i) === C.CLOSE) {
        this.#i++
        if (cache !== undefined) {
          items = cache.keep(s.slice(open, this.#i), items)
        }
        const params = this.#params()
        return params === GIVE_UP ? GIVE_UP : [items, params]
      }
      const entry = this.#item()
      if (entry === GIVE_UP) {
        return GIVE_UP
      }
      items.push(entry)
      const next = s.charCodeAt(this.#i)
      if (next !== C.SP && next !== C.CLOSE) {
        return GIVE_UP
      }
    }
    return GIVE_UP
  }

  #item(): Item | typeof GIVE_UP {
    const value = this.#bare()
    if (value === GIVE_UP) {
      return GIVE_UP
    }
    const params = this.#params()
    return params === GIVE_UP ? GIVE_UP : [value, params]
  }

  #params(): Parameters | typeof GIVE_UP {
    const s = this.#s
    const params: Parameters = new Map()
    while (s.charCodeAt(this.#i) === C.SEMICOLON) {
      this.#i++
      while (s.charCodeAt(this.#i) === C.SP) {
        this.#i++
      }
      const key = this.#key()
      if (key === GIVE_UP) {
        return GIVE_UP
      }
      let value: BareItem | typeof GIVE_UP = true
      if (s.charCodeAt(this.#i) === C.EQUALS) {
        this.#i++
        value = this.#bare()
        if (value === GIVE_UP) {
          return GIVE_UP
        }
      }
      params.set(key, value)
    }
    return params
  }

  #bare(): BareItem | typeof GIVE_UP {
    const c = this.#s.charCodeAt(this.#i)
    if (c === C.QUOTE) {
      return this.#string()
    }
    if (isDigit(c) || c === C.MINUS) {
      return this.#integer()
    }
    if (c === C.COLON) {
      return this.#bytes()
    }
    if (c === C.QUESTION) {
      const b = this.#s.charCodeAt(this.#i + 1)
      if (b === 0x30 || b === 0x31) {
        this.#i += 2
        return b === 0x31
      }
      return GIVE_UP
    }
    return GIVE_UP // Token, Date, Display String, or an error: the library decides
  }

  #string(): string | typeof GIVE_UP {
    const s = this.#s
    const start = this.#i + 1
    let i = start
    let escaped = false
    while (i < s.length) {
      const c = s.charCodeAt(i)
      if (c === C.QUOTE) {
        break
      }
      if (c === C.BACKSLASH) {
        const n = s.charCodeAt(i + 1)
        if (n !== C.QUOTE && n !== C.BACKSLASH) {
          return GIVE_UP
        }
        escaped = true
        i += 2
        continue
      }
      if (c < 0x20 || c > 0x7e) {
        return GIVE_UP
      }
      i++
    }
    if (i >= s.length) {
      return GIVE_UP
    }
    this.#i = i + 1
    const raw = s.slice(start, i)
    return escaped ? raw.replace(/\\(["\\])/g, '$1') : raw
  }

  #integer(): number | typeof GIVE_UP {
    const s = this.#s
    let i = this.#i
    let sign = 1
    if (s.charCodeAt(i) === C.MINUS) {
      sign = -1
      i++
    }
    const start = i
    while (i < s.length && isDigit(s.charCodeAt(i))) {
      i++
    }
    const digits = i - start
    if (digits === 0 || digits > 15 || s.charCodeAt(i) === 0x2e /* . a Decimal */) {
      return GIVE_UP
    }
    this.#i = i
    const value = Number(s.slice(start, i)) * sign
    return value === 0 ? 0 : value
  }

  #bytes(): ByteSequence | typeof GIVE_UP {
    const s = this.#s
    const start = this.#i + 1
    const end = s.indexOf(':', start)
    if (end < 0) {
      return GIVE_UP
    }
    let bytes: Uint8Array
    try {
      bytes = fromBase64(s.slice(start, end)) // canonical base64 only; the rest goes to the library
    } catch {
      return GIVE_UP
    }
    this.#i = end + 1
    return new ByteSequence(bytes)
  }
}
