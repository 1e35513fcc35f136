/**
 * What the relay's stages share: the options read once by `createRelay`, the compiled targets,
 * the authenticator and the store. `createRelay` builds one per relay; the stages only read it.
 *
 * @internal
 * @module
 */
import type { KeyRing, WindowCounterStore } from '@countersign/core'
import type { SignedFields } from '@countersign/signer'
import type { Agent } from 'undici'
import type { RelayAuthenticator } from '../auth/create-authenticator.ts'
import type { MatchableTarget, TargetMatcher } from '../targets/match-target.ts'
import type {
  AuditSink,
  RelayAuditEvent,
  RelayCors,
  RelayRateLimits,
  RelayTarget,
} from '../types.ts'

/** A registered target, ready to forward to. */
export interface CompiledTarget extends MatchableTarget {
  readonly config: RelayTarget
  /** Signs a forward: on the relay's worker, or on the event loop when it cannot. */
  readonly sign: (url: URL, body: Uint8Array) => Promise<SignedFields>
  readonly agent: Agent
  readonly timeoutMs: number
  readonly maxBodyBytes: number
}

/** The relay's stages' shared, read-only state. */
export interface RelayContext {
  readonly ring: KeyRing | undefined
  readonly targets: readonly CompiledTarget[]
  readonly matcher: TargetMatcher<CompiledTarget>
  readonly auth: RelayAuthenticator
  readonly store: WindowCounterStore
  readonly rateLimit: RelayRateLimits | undefined
  readonly audit: AuditSink | undefined
  readonly cors: RelayCors | undefined
  readonly allowedOrigins: ReadonlySet<string>
  readonly maxRequestBytes: number
  readonly maxJsonDepth: number
  readonly maxBatchSize: number
  readonly batchConcurrency: number
}

/** One item of a request: the URL to forward to and the data to send. */
export interface Item {
  readonly url: string
  readonly data: unknown
}

/** The outcome of one forwarded item: the target's answer or the relay's problem. */
export interface ItemResult {
  status: number
  contentType: string | undefined
  body: Uint8Array
  headers: Record<string, string>
  targetId?: string
  code?: RelayAuditEvent['code']
  bytesIn: number
}
