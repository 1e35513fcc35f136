/**
 * The audit stage: one event per answered `POST /secure-request` (a batch's items get their own
 * events, with the batch's id), sent to the `audit` sink when one is configured.
 *
 * @internal
 * @module
 */
import { emitAudit } from '../audit.ts'
import type { RelayAnswer } from '../internal/relay-answer.ts'
import type { RelayAuditEvent } from '../types.ts'
import type { RelayContext } from './relay-context.ts'

/** What is known of a request when it is answered. */
export interface AuditedRequest {
  readonly time: string
  readonly requestId: string
  readonly started: number
  userId: string | undefined
  bytesIn: number
}

/** Audits `answer` to `request` (when an audit sink is configured) and returns it. */
export function auditRequest(
  context: RelayContext,
  request: AuditedRequest,
  answer: RelayAnswer,
  bytesOut: number,
  extra: Partial<RelayAuditEvent>,
): RelayAnswer {
  if (context.audit !== undefined) {
    emitAudit(context.audit, {
      time: request.time,
      requestId: request.requestId,
      ...(request.userId === undefined ? {} : { userId: request.userId }),
      status: answer.status,
      latencyMs: Math.round((performance.now() - request.started) * 1000) / 1000,
      bytesIn: request.bytesIn,
      bytesOut,
      ...extra,
    })
  }
  return answer
}
