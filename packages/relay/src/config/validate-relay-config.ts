/**
 * Relay configuration checks with messages that say what is wrong and where, as a JSON path:
 * `targets[1].baseUrl: must be an https URL without userinfo`. The shape is stated once, in
 * `relay-config-shape.ts`; this module checks a JSON config file against it and names its types.
 *
 * @module
 */
import type { auth } from './auth-shape.ts'
import type { fileKey } from './keys-shape.ts'
import { RelayConfigError } from './relay-config-error.ts'
import { relayConfigShape } from './relay-config-shape.ts'
import { type Ctx, describe, type Infer, isObj } from './shape-kit.ts'
import type { target } from './target-shape.ts'

export { checkRelayOptions } from './check-relay-options.ts'
export { decodeSecret } from './decode-secret.ts'
export { parseBaseUrl } from './parse-base-url.ts'
export { pathIsUnambiguous } from './path-is-unambiguous.ts'
export type { RelayConfigIssue } from './relay-config-error.ts'
export { RelayConfigError } from './relay-config-error.ts'
export type { SecretRef } from './secret-shape.ts'

/** A relay config file (`countersign.config.json`, or its `relay` section). */
export type RelayFileConfig = Infer<typeof relayConfigShape>
/** A target in a config file: as `RelayTarget`, with secrets as {@link SecretRef}s. */
export type RelayFileTarget = Infer<typeof target>
/** End-user authentication in a config file (the `custom` hook exists only in code). */
export type RelayFileAuth = Infer<typeof auth>
/** An Ed25519 signing key in a config file: a private JWK or a PKCS#8 PEM. */
export type RelayFileKey = Infer<typeof fileKey>

/**
 * Checks a relay config file's content (already parsed from JSON) and returns it typed.
 * Every issue is reported at once, each with its JSON path.
 *
 * @example
 * ```ts
 * try {
 *   const config = validateRelayConfig(JSON.parse(text))
 * } catch (error) {
 *   // targets[1].baseUrl: must be an https URL without userinfo
 *   console.error(error.message)
 * }
 * ```
 *
 * @throws {@link RelayConfigError} listing every issue.
 */
export function validateRelayConfig(input: unknown): RelayFileConfig {
  if (!isObj(input)) {
    throw new RelayConfigError([
      { path: '', message: `the relay config must be a JSON object, got ${describe(input)}` },
    ])
  }
  const ctx: Ctx = { mode: 'file', root: input, issues: [] }
  relayConfigShape.check(input, '', ctx, input)
  if (ctx.issues.length > 0) {
    throw new RelayConfigError(ctx.issues)
  }
  return input as RelayFileConfig
}
