/**
 * The envelope stage: the JSON body the target receives, `{ user, data, request: { id, time } }`
 * (plus `api_key` for `skapiCompat` targets), as the exact bytes that are signed and sent.
 *
 * @internal
 * @module
 */
import { utf8 } from '@countersign/core'
import type { RelayUser } from '../types.ts'
import type { CompiledTarget, Item } from './relay-context.ts'

/** The envelope's bytes for `item` to `target` (the caller checks them against its limit). */
export function buildEnvelope(
  target: CompiledTarget,
  user: RelayUser,
  item: Item,
  requestId: string,
  time: string,
): Uint8Array {
  const envelope: Record<string, unknown> = {
    user,
    data: item.data,
    request: { id: requestId, time },
  }
  if (target.config.skapiCompat !== undefined) {
    envelope.api_key = target.config.skapiCompat.apiKey
  }
  return utf8(JSON.stringify(envelope))
}
