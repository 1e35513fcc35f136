/**
 * The forwarding stage, for one item: match the URL against the registered targets, count it
 * against the rate limits, build and sign the envelope, POST it over the target's SSRF-guarded
 * agent and read the answer within the target's limits. Every failure becomes the item's
 * problem answer.
 *
 * @internal
 * @module
 */
import { RequestError, utf8 } from '@countersign/core'
import type { SignedFields } from '@countersign/signer'
import { problemBody } from '../internal/http.ts'
import { checkRateLimits } from '../internal/rate-limit.ts'
import { postUpstream } from '../internal/upstream.ts'
import type { RelayAuditEvent, RelayUser } from '../types.ts'
import { buildEnvelope } from './build-envelope.ts'
import type { Item, ItemResult, RelayContext } from './relay-context.ts'

/** The problem answer of an item. */
export function problemItem(error: unknown, headers: Record<string, string> = {}): ItemResult {
  const body = problemBody(error)
  return {
    status: body.status as number,
    contentType: 'application/problem+json',
    body: utf8(JSON.stringify(body)),
    headers,
    code: body.code as RelayAuditEvent['code'],
    bytesIn: 0,
  }
}

/** The headers of a forward: none of the caller's, only the relay's and the signature. */
function forwardHeaders(
  signed: SignedFields,
  traceparent: string | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {
    'user-agent': 'countersign-relay',
    'accept-encoding': 'identity',
    'content-type': 'application/json',
    'signature-input': signed['signature-input'],
    signature: signed.signature,
  }
  if (signed['content-digest'] !== undefined) {
    headers['content-digest'] = signed['content-digest']
  }
  if (traceparent !== undefined) {
    headers.traceparent = traceparent // validated by the caller (traceparentOf)
  }
  return headers
}

/**
 * Forwards one item for `user`, with the caller's W3C `traceparent` when it was valid; never
 * rejects.
 */
export async function forwardItem(
  context: RelayContext,
  user: RelayUser,
  item: Item,
  requestId: string,
  time: string,
  traceparent?: string,
): Promise<ItemResult> {
  let targetId: string | undefined
  let rateHeaders: Record<string, string> = {}
  let bytesIn = 0
  try {
    const { target, url } = context.matcher.match(item.url)
    targetId = target.id
    const limited = await checkRateLimits(context.store, context.rateLimit, user.user_id, targetId)
    rateHeaders = limited.headers
    if (limited.error !== undefined) {
      return { ...problemItem(limited.error, rateHeaders), targetId }
    }
    const body = buildEnvelope(target, user, item, requestId, time)
    bytesIn = body.byteLength
    if (bytesIn > target.maxBodyBytes) {
      throw new RequestError(
        'body_too_large',
        `the request for target ${target.id} is larger than ${target.maxBodyBytes} bytes`,
      )
    }
    const signed = await target.sign(url, body)
    const answer = await postUpstream(
      target.agent,
      url,
      forwardHeaders(signed, traceparent),
      body,
      {
        timeoutMs: target.timeoutMs,
        maxBodyBytes: target.maxBodyBytes,
      },
    )
    return {
      status: answer.status,
      contentType: answer.contentType,
      body: answer.body,
      headers: rateHeaders,
      targetId,
      bytesIn,
    }
  } catch (error) {
    const result = problemItem(error, rateHeaders)
    return { ...result, bytesIn, ...(targetId === undefined ? {} : { targetId }) }
  }
}
