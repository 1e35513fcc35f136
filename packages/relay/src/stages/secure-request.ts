/**
 * `POST /secure-request`: authenticate the user, read the item (or batch), forward it, answer
 * with what the target said (or the relay's problem), audit.
 *
 * @internal
 * @module
 */
import { traceparentOf, utf8 } from '@countersign/core'
import { BASE_HEADERS, problemBody } from '../internal/http.ts'
import { isoNow } from '../internal/iso-now.ts'
import { randomId } from '../internal/random-id.ts'
import type { RelayAnswer } from '../internal/relay-answer.ts'
import type { RelayAuditEvent, RelayUser } from '../types.ts'
import { type AuditedRequest, auditRequest } from './audit-request.ts'
import { authenticateUser } from './authenticate-user.ts'
import { forwardBatch } from './forward-batch.ts'
import { forwardItem } from './forward-item.ts'
import { type RequestedItems, readItems } from './read-items.ts'
import type { ItemResult, RelayContext } from './relay-context.ts'

const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([204, 205, 304])

/** The relay's problem answer to the whole request. */
function failure(
  context: RelayContext,
  audited: AuditedRequest,
  error: unknown,
  cors: Record<string, string>,
): RelayAnswer {
  const body = problemBody(error)
  const text = JSON.stringify(body)
  const answer: RelayAnswer = {
    status: body.status as number,
    headers: {
      ...BASE_HEADERS,
      'content-type': 'application/problem+json',
      'x-request-id': audited.requestId,
      ...(body.code === 'not_logged_in' ? { 'www-authenticate': 'Bearer' } : {}),
      ...cors,
    },
    body: text,
  }
  return auditRequest(context, audited, answer, utf8(text).byteLength, {
    code: body.code as RelayAuditEvent['code'],
  })
}

/** The answer to a single item: the target's status, content type and body. */
function itemAnswer(requestId: string, result: ItemResult, cors: Record<string, string>) {
  const headers: Record<string, string> = {
    ...BASE_HEADERS,
    'x-request-id': requestId,
    ...result.headers,
    ...cors,
  }
  if (result.contentType !== undefined) {
    headers['content-type'] = result.contentType
  }
  return {
    status: result.status,
    headers,
    body: NULL_BODY_STATUSES.has(result.status) ? null : result.body,
  }
}

/** Answers a `POST /secure-request`; never rejects. */
export async function secureRequest(
  context: RelayContext,
  request: Request,
  cors: Record<string, string>,
): Promise<RelayAnswer> {
  const audited: AuditedRequest = {
    time: isoNow(),
    requestId: `req_${randomId()}`,
    started: performance.now(),
    userId: undefined,
    bytesIn: 0,
  }
  let user: RelayUser
  let requested: RequestedItems
  try {
    user = await authenticateUser(context, request)
    audited.userId = user.user_id
    requested = await readItems(context, request, (bytesIn) => {
      audited.bytesIn = bytesIn
    })
  } catch (error) {
    return failure(context, audited, error, cors)
  }
  const { requestId, time } = audited
  const traceparent = traceparentOf(request.headers.get('traceparent'))?.value
  if (requested.batch) {
    return forwardBatch(context, user, requested.items, { ...audited, traceparent }, cors)
  }
  const result = await forwardItem(context, user, requested.item, requestId, time, traceparent)
  return auditRequest(
    context,
    audited,
    itemAnswer(requestId, result, cors),
    result.body.byteLength,
    {
      ...(result.targetId === undefined ? {} : { targetId: result.targetId }),
      ...(result.code === undefined ? {} : { code: result.code }),
    },
  )
}
