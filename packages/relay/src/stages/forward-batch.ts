/**
 * A batch: its items forwarded a few at a time, each audited on its own, answered with `200`
 * and an array of `{ status, body }` in the same order.
 *
 * @internal
 * @module
 */
import { parseJsonStrict, parseMediaType } from '@countersign/core'
import { emitAudit } from '../audit.ts'
import { BASE_HEADERS } from '../internal/http.ts'
import type { RelayAnswer } from '../internal/relay-answer.ts'
import type { RelayUser } from '../types.ts'
import { forwardItem } from './forward-item.ts'
import type { Item, ItemResult, RelayContext } from './relay-context.ts'

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i
const DECODER = new TextDecoder('utf-8', { fatal: true })

async function runPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/**
 * An item's body in the batch answer: the target's JSON as a value when the strict parser
 * takes it unchanged (no number a double cannot carry, no duplicate keys, bounded depth),
 * otherwise its text exactly as sent.
 */
function decodeBody(result: ItemResult): unknown {
  let text: string
  try {
    text = DECODER.decode(result.body)
  } catch {
    return new TextDecoder().decode(result.body)
  }
  const essence = parseMediaType(result.contentType ?? null)?.essence ?? ''
  if (JSON_TYPE.test(essence)) {
    try {
      return parseJsonStrict(text)
    } catch {
      return text
    }
  }
  return text
}

/** Forwards a batch's items and answers with their outcomes; never rejects. */
export async function forwardBatch(
  context: RelayContext,
  user: RelayUser,
  items: readonly Item[],
  ids: {
    readonly requestId: string
    readonly time: string
    readonly started: number
    readonly traceparent?: string | undefined
  },
  cors: Record<string, string>,
): Promise<RelayAnswer> {
  const { requestId, time, started, traceparent } = ids
  const results = await runPool(items, context.batchConcurrency, async (item, i) => {
    const itemId = `${requestId}.${i}`
    const result = await forwardItem(context, user, item, itemId, time, traceparent)
    emitAudit(context.audit, {
      time,
      requestId: itemId,
      batchId: requestId,
      userId: user.user_id,
      ...(result.targetId === undefined ? {} : { targetId: result.targetId }),
      status: result.status,
      ...(result.code === undefined ? {} : { code: result.code }),
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
      bytesIn: result.bytesIn,
      bytesOut: result.body.byteLength,
    })
    return result
  })
  const answer = results.map((result) => ({ status: result.status, body: decodeBody(result) }))
  return {
    status: 200,
    headers: {
      ...BASE_HEADERS,
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...cors,
    },
    body: JSON.stringify(answer),
  }
}
