/**
 * A small kit for stating a configuration's shape once. A shape checks a value (reporting
 * every issue with its JSON path, in the relay's own words), states the TypeScript type of the
 * config file (`Infer<typeof shape>`) and writes the JSON Schema of the file.
 *
 * A shape is read in two modes: `file` (a parsed JSON config file: secrets may be
 * `{ "env" }`/`{ "file" }` references) and `code` (the options of `createRelay`, which may hold
 * keys, stores and functions). Members marked {@link fileOnly} or {@link codeOnly}, and shapes
 * made with {@link byMode}, are the whole difference between the two.
 *
 * @internal
 * @module
 */
import type { RelayConfigIssue } from './relay-config-error.ts'

/** Which configuration is read: a JSON config file, or the options object of `createRelay`. */
export type Mode = 'file' | 'code'
/** A plain object being checked. */
export type Obj = Record<string, unknown>
/** A JSON Schema (2020-12) fragment. */
export type JsonSchema = Record<string, unknown>

/** What a check reads and writes. */
export interface Ctx {
  readonly mode: Mode
  /** The whole document, for checks that depend on other members (`localDevelopment`). */
  readonly root: Obj
  readonly issues: RelayConfigIssue[]
}

declare const TYPE: unique symbol

/** A stated shape: its check, its JSON Schema, and (as a phantom) its file type `T`. */
export interface Shape<T> {
  readonly [TYPE]?: T
  /** Checks a value that is present; `parent` is the object holding it. */
  check(value: unknown, path: string, ctx: Ctx, parent: Obj): void
  /** The JSON Schema of the file form. */
  schema(): JsonSchema
}

/** The file type a shape states. */
export type Infer<S> = S extends Shape<infer T> ? T : never

/** A member of an object shape. */
export interface Member<T, R extends boolean, F extends boolean> {
  readonly shape: Shape<T>
  readonly required: R
  /** Whether the member exists in the file form (and so in its type and JSON Schema). */
  readonly inFile: F
  /** The only mode the member exists in. */
  readonly only?: Mode
  readonly description?: string
  /**
   * The issue when the member is absent (`undefined`: none, or `is required` when required);
   * e.g. the relay keys, which some targets need.
   */
  readonly whenMissing?: (parent: Obj, ctx: Ctx) => string | undefined
}

// biome-ignore lint/suspicious/noExplicitAny: a member of any type
type AnyMember = Member<any, boolean, boolean>
type Members = Record<string, AnyMember>
type Simplify<T> = { [K in keyof T]: T[K] } & {}
type FileKeys<M extends Members, R extends boolean> = {
  [K in keyof M]: M[K]['inFile'] extends true ? (M[K]['required'] extends R ? K : never) : never
}[keyof M]
/** The file type of an object shape's members. */
export type ObjectOf<M extends Members> = Simplify<
  { [K in FileKeys<M, true>]: Infer<M[K]['shape']> } & {
    [K in FileKeys<M, false>]?: Infer<M[K]['shape']>
  }
>

/** `path.key`, or `key` at the root. */
export const at = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`)

/** Whether `value` is a non-array object. */
export const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** `null`, `an array`, `an object`, `a string`… for messages (never the value itself). */
export function describe(value: unknown): string {
  if (value === null) {
    return 'null'
  }
  if (Array.isArray(value)) {
    return 'an array'
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Adds one issue. */
export function report(ctx: Ctx, path: string, message: string): void {
  ctx.issues.push({ path, message })
}

/** A shape with a hand-written check and JSON Schema. */
export function custom<T>(
  schema: JsonSchema,
  check: (value: unknown, path: string, ctx: Ctx, parent: Obj) => void,
): Shape<T> {
  return { check, schema: () => schema }
}

/** A member that must be present; `missing` replaces the `is required` issue. */
export function required<T>(
  shape: Shape<T>,
  description?: string,
  missing?: string,
): Member<T, true, true> {
  return {
    shape,
    required: true,
    inFile: true,
    ...(description === undefined ? {} : { description }),
    ...(missing === undefined ? {} : { whenMissing: () => missing }),
  }
}

/** A member that may be absent; `whenMissing` may still report its absence. */
export function optional<T>(
  shape: Shape<T>,
  description?: string,
  whenMissing?: Member<T, false, true>['whenMissing'],
): Member<T, false, true> {
  return {
    shape,
    required: false,
    inFile: true,
    ...(description === undefined ? {} : { description }),
    ...(whenMissing === undefined ? {} : { whenMissing }),
  }
}

/** An optional member of the config file only (e.g. `server`). */
export function fileOnly<T>(shape: Shape<T>, description?: string): Member<T, false, true> {
  return { ...optional(shape, description), only: 'file' }
}

/** An optional member of the code options only (e.g. a function); not in the file type. */
export function codeOnly(shape: Shape<unknown>): Member<never, false, false> {
  return { shape: shape as Shape<never>, required: false, inFile: false, only: 'code' }
}

/** A member whose file form and code form differ (keys, store, audit); typed by the file form. */
export function byMode<T>(file: Shape<T>, code: Shape<unknown>): Shape<T> {
  return {
    check: (value, path, ctx, parent) =>
      (ctx.mode === 'file' ? file : code).check(value, path, ctx, parent),
    schema: () => file.schema(),
  }
}

/** An integer from `min` to `max`. */
export function integer(min: number, max: number): Shape<number> {
  return custom({ type: 'integer', minimum: min, maximum: max }, (value, path, ctx) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      report(ctx, path, `must be an integer from ${min} to ${max}`)
    }
  })
}

/** `true` or `false`. */
export function boolean(): Shape<boolean> {
  return custom({ type: 'boolean' }, (value, path, ctx) => {
    if (typeof value !== 'boolean') {
      report(ctx, path, `must be true or false, got ${describe(value)}`)
    }
  })
}

/** Options of {@link text}. */
export interface TextOptions {
  /** A pattern the string must match (also in the JSON Schema). */
  pattern?: RegExp
  /** The issue when it does not. */
  hint?: string
  /** Give the hint for a non-string too (not `must be a non-empty string, got …`). */
  strict?: boolean
  /** The JSON Schema `format`. */
  format?: string
  /** Checks further a string that passed the above. */
  further?: (text: string, path: string, ctx: Ctx, parent: Obj) => void
}

/** A non-empty string; with `pattern`, one matching it (else `hint`); then `further`. */
export function text(options: TextOptions = {}): Shape<string> {
  const { pattern, hint = 'is not valid', strict = false, format, further } = options
  return custom(
    {
      type: 'string',
      minLength: 1,
      ...(pattern === undefined ? {} : { pattern: pattern.source }),
      ...(format === undefined ? {} : { format }),
    },
    (value, path, ctx, parent) => {
      if (typeof value !== 'string' || value.length === 0) {
        report(ctx, path, strict ? hint : `must be a non-empty string, got ${describe(value)}`)
      } else if (pattern !== undefined && !pattern.test(value)) {
        report(ctx, path, hint)
      } else {
        further?.(value, path, ctx, parent)
      }
    },
  )
}

/** One of the given strings: `must be "a", "b" or "c"`. */
export function oneOf<const V extends readonly string[]>(values: V): Shape<V[number]> {
  const quoted = values.map((v) => JSON.stringify(v))
  const message = `must be ${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`
  return custom({ enum: [...values] }, (value, path, ctx) => {
    if (!values.includes(value as string)) {
      report(ctx, path, message)
    }
  })
}

/** The literal tag of a {@link tagged} variant (already matched when checked). */
export function literal<const V extends string>(value: V): Shape<V> {
  return custom({ const: value }, () => undefined)
}

/** Options of {@link object}. */
export interface ObjectOptions<M extends Members> {
  /** Members checked before the others (the order issues are reported in). */
  checkFirst?: readonly (keyof M & string)[]
  /** Checks across members, after them. */
  refine?: (value: Obj, path: string, ctx: Ctx) => void
}

function membersIn<M extends Members>(members: M, mode: Mode): string[] {
  return Object.keys(members).filter((key) => {
    const only = members[key]?.only
    return only === undefined || only === mode
  })
}

function checkMember(member: AnyMember, obj: Obj, key: string, path: string, ctx: Ctx): void {
  const value = obj[key]
  if (value !== undefined) {
    member.shape.check(value, at(path, key), ctx, obj)
    return
  }
  const missing = member.whenMissing?.(obj, ctx) ?? (member.required ? 'is required' : undefined)
  if (missing !== undefined) {
    report(ctx, at(path, key), missing)
  }
}

function objectSchema(members: Members): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  const needed: string[] = []
  for (const [key, member] of Object.entries(members)) {
    if (!member.inFile) {
      continue
    }
    const schema = member.shape.schema()
    properties[key] =
      member.description === undefined ? schema : { description: member.description, ...schema }
    if (member.required) {
      needed.push(key)
    }
  }
  return {
    type: 'object',
    properties,
    ...(needed.length === 0 ? {} : { required: needed }),
    additionalProperties: false,
  }
}

/** An object with exactly these members (others are reported as unknown options). */
export function object<M extends Members>(
  members: M,
  options: ObjectOptions<M> = {},
): Shape<ObjectOf<M>> {
  return {
    check(value, path, ctx) {
      if (!isObj(value)) {
        report(ctx, path, `must be an object, got ${describe(value)}`)
        return
      }
      const allowed = membersIn(members, ctx.mode)
      for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) {
          report(ctx, at(path, key), `unknown option (expected one of ${allowed.join(', ')})`)
        }
      }
      const first = (options.checkFirst ?? []).filter((key) => allowed.includes(key))
      for (const key of [...first, ...allowed.filter((key) => !first.includes(key))]) {
        checkMember(members[key] as AnyMember, value, key, path, ctx)
      }
      options.refine?.(value, path, ctx)
    },
    schema: () => objectSchema(members),
  }
}

/** Options of {@link list}. */
export interface ListOptions {
  /** The issue for an empty array (the JSON Schema then says `minItems: 1`). */
  nonEmpty?: string
  /** The issue for a value that is not an array. Default `must be an array, got …`. */
  notArray?: string
  /** A fresh per-check hook run after each item (duplicate checks keep state in it). */
  afterEach?: () => (item: unknown, path: string, ctx: Ctx) => void
}

/** An array of `item`s. */
export function list<T>(item: Shape<T>, options: ListOptions = {}): Shape<T[]> {
  return {
    check(value, path, ctx, parent) {
      if (!Array.isArray(value)) {
        report(ctx, path, options.notArray ?? `must be an array, got ${describe(value)}`)
        return
      }
      if (value.length === 0 && options.nonEmpty !== undefined) {
        report(ctx, path, options.nonEmpty)
      }
      const after = options.afterEach?.()
      value.forEach((entry: unknown, i) => {
        item.check(entry, `${path}[${i}]`, ctx, parent)
        after?.(entry, `${path}[${i}]`, ctx)
      })
    },
    schema: () => ({
      type: 'array',
      items: item.schema(),
      ...(options.nonEmpty === undefined ? {} : { minItems: 1 }),
    }),
  }
}

/**
 * One of several objects told apart by their `type` member. `codeVariants` exist only in the
 * code options (the `custom` authenticator).
 */
export function tagged<V extends Record<string, Shape<unknown>>>(
  variants: V,
  codeVariants: Record<string, Shape<unknown>> = {},
): Shape<Infer<V[keyof V]>> {
  return {
    check(value, path, ctx, parent) {
      if (!isObj(value)) {
        report(ctx, path, `must be an object, got ${describe(value)}`)
        return
      }
      const known = ctx.mode === 'file' ? variants : { ...variants, ...codeVariants }
      const tag = value.type
      if (typeof tag === 'string' && Object.hasOwn(known, tag)) {
        known[tag]?.check(value, path, ctx, parent)
      } else {
        report(ctx, at(path, 'type'), `must be one of ${Object.keys(known).join(', ')}`)
      }
    },
    schema: () => ({ oneOf: Object.values(variants).map((variant) => variant.schema()) }),
  }
}
