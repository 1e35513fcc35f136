/**
 * Secrets in a relay config: in the file the value itself, `{ "env": "NAME" }` or
 * `{ "file": "path" }`; in code a string (or, for an HMAC secret, bytes or a key).
 *
 * @internal
 * @module
 */
import {
  type Ctx,
  custom,
  describe,
  isObj,
  type JsonSchema,
  report,
  type Shape,
} from './shape-kit.ts'

/**
 * A secret in a config file: the value itself, `{ "env": "NAME" }` (read from an environment
 * variable) or `{ "file": "path" }` (read from a file, relative to the config file).
 */
export type SecretRef = string | { env: string } | { file: string }

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/

/** The JSON Schema of the two references (`{ "env" }`, `{ "file" }`). */
export const REFERENCE_SCHEMAS: readonly JsonSchema[] = [
  {
    type: 'object',
    description: 'Read from this environment variable.',
    properties: { env: { type: 'string', pattern: ENV_NAME.source } },
    required: ['env'],
    additionalProperties: false,
  },
  {
    type: 'object',
    description: 'Read from this file, relative to the config file.',
    properties: { file: { type: 'string', minLength: 1 } },
    required: ['file'],
    additionalProperties: false,
  },
]

/** Checks a secret reference; returns the inline value when there is one. */
export function inlineSecret(value: unknown, path: string, ctx: Ctx): string | undefined {
  if (typeof value === 'string') {
    if (value.length === 0) {
      report(ctx, path, 'must not be empty')
    }
    return value
  }
  if (ctx.mode === 'file' && isObj(value)) {
    const keys = Object.keys(value)
    if (keys.length === 1 && keys[0] === 'env') {
      if (typeof value.env !== 'string' || !ENV_NAME.test(value.env)) {
        report(ctx, `${path}.env`, 'must be an environment variable name')
      }
      return undefined
    }
    if (keys.length === 1 && keys[0] === 'file') {
      if (typeof value.file !== 'string' || value.file.length === 0) {
        report(ctx, `${path}.file`, 'must be a file path')
      }
      return undefined
    }
  }
  report(
    ctx,
    path,
    ctx.mode === 'file'
      ? 'must be a string, { "env": "NAME" } or { "file": "path" }'
      : `must be a string, got ${describe(value)}`,
  )
  return undefined
}

/** A secret: a string, or in the file a reference; `inline` checks an inline value further. */
export function secretRef(
  inline?: (text: string, path: string, ctx: Ctx) => void,
): Shape<SecretRef> {
  return custom(
    { oneOf: [{ type: 'string', minLength: 1 }, ...REFERENCE_SCHEMAS] },
    (value, path, ctx) => {
      const text = inlineSecret(value, path, ctx)
      if (text !== undefined) {
        inline?.(text, path, ctx)
      }
    },
  )
}
