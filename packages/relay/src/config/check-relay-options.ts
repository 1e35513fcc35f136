/** @internal @module */
import { RelayConfigError } from './relay-config-error.ts'
import { relayConfigShape } from './relay-config-shape.ts'
import { type Ctx, describe, isObj } from './shape-kit.ts'

/**
 * Checks the options of `createRelay` (which may hold keys, stores and functions) against the
 * same shape as the config file, read in code mode.
 *
 * @throws {@link RelayConfigError} listing every issue.
 */
export function checkRelayOptions(input: unknown): void {
  if (!isObj(input)) {
    throw new RelayConfigError([
      { path: '', message: `relay options must be an object, got ${describe(input)}` },
    ])
  }
  const ctx: Ctx = { mode: 'code', root: input, issues: [] }
  relayConfigShape.check(input, '', ctx, input)
  if (ctx.issues.length > 0) {
    throw new RelayConfigError(ctx.issues)
  }
}
