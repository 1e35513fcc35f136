/**
 * The relay reads its options once: every property (getters included) is read one time into
 * a frozen copy, which is what gets validated and what runs. A caller mutating the object later,
 * or a getter answering differently on a second read, changes nothing.
 *
 * @internal
 * @module
 */
import { RelayConfigError } from './validate-relay-config.ts'

type Obj = Record<string, unknown>

const MAX_DEPTH = 24

/** Slots holding runtime objects (keys, stores, functions), kept by reference, not copied. */
const RUNTIME_SLOTS: Readonly<Record<string, ReadonlySet<string>>> = {
  options: new Set(['keys', 'store', 'audit', 'resolver', 'onTokenCache']),
  auth: new Set(['keys', 'denylist', 'authenticate']),
  signing: new Set(['secret']),
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function define(target: Obj, key: string, value: unknown): void {
  // defineProperty, so an own `__proto__` stays a plain (reported) member.
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  })
}

/** A frozen deep copy of plain data; other objects (keys, stores, class instances) as they are. */
function copy(value: unknown, slot: string, depth: number): unknown {
  if (typeof value !== 'object' || value === null) {
    return value
  }
  if (depth > MAX_DEPTH) {
    throw new RelayConfigError([
      { path: '', message: `relay options are nested more than ${MAX_DEPTH} levels (or cyclic)` },
    ])
  }
  if (value instanceof Uint8Array) {
    return value.slice()
  }
  if (Array.isArray(value)) {
    const items: unknown[] = []
    for (let i = 0; i < value.length; i++) {
      items.push(copy(value[i], slot === 'targets' ? 'target' : slot, depth + 1))
    }
    return Object.freeze(items)
  }
  if (!isPlain(value)) {
    return value
  }
  const source = value as Obj
  const runtime = RUNTIME_SLOTS[slot]
  const out: Obj = {}
  for (const key of Object.keys(source)) {
    const item = source[key]
    define(
      out,
      key,
      runtime?.has(key) === true && !(item instanceof Uint8Array)
        ? item
        : copy(item, key, depth + 1),
    )
  }
  return Object.freeze(out)
}

/**
 * Reads `input` once into a frozen copy: plain objects and arrays are copied (each property
 * read one time), byte arrays are copied, and keys, stores and functions are kept as given.
 *
 * @throws {@link RelayConfigError} when the options are nested too deeply or are cyclic.
 */
export function snapshotRelayOptions<T>(input: T): T {
  return copy(input, 'options', 0) as T
}
