/** @internal @module */
import { fromBase64Url } from '@countersign/core'

/** Decodes an unpadded base64url secret; `undefined` when it is not one. */
export function decodeSecret(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) {
    return undefined
  }
  try {
    return fromBase64Url(text)
  } catch {
    return undefined
  }
}
