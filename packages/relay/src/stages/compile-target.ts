/**
 * Compiling a registered target: its signer, its SSRF-guarded agent and its limits.
 *
 * @internal
 * @module
 */
import type { KeyRing } from '@countersign/core'
import type { SignWorker } from '../internal/sign-worker.ts'
import { createGuardedAgent } from '../ssrf/guarded-agent.ts'
import type { RelayOptions, RelayTarget } from '../types.ts'
import { createTargetSigner } from './create-target-signer.ts'
import type { CompiledTarget } from './relay-context.ts'

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_CONNECT_TIMEOUT_MS = 5000
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

/**
 * A target ready to forward to.
 *
 * @throws `TypeError` when the target's signing options cannot sign.
 */
export function compileTarget(
  target: RelayTarget,
  ring: KeyRing | undefined,
  options: RelayOptions,
  ttl: number,
  worker: SignWorker,
): CompiledTarget {
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const allowPrivateNetwork = target.allowPrivateNetwork === true
  return {
    id: target.id,
    baseUrl: target.baseUrl,
    allowPrivateNetwork,
    config: target,
    sign: createTargetSigner(target, ring, ttl, worker),
    agent: createGuardedAgent({
      allowPrivateNetwork,
      ...(options.resolver === undefined ? {} : { resolver: options.resolver }),
      connectTimeoutMs: Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, timeoutMs),
    }),
    timeoutMs,
    maxBodyBytes: target.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  }
}
