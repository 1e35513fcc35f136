/**
 * Reading a body stream with a hard byte cap: the one loop every Countersign reader of
 * untrusted bodies (requests, JWKS documents) uses.
 *
 * @module
 */

const EMPTY = new Uint8Array(0)

/**
 * Reads `stream` to the end and returns its bytes, or `undefined` as soon as more than
 * `maxBytes` have arrived: the stream is then cancelled and nothing past the cap is read or
 * kept. `null` (no body) reads as zero bytes. A single chunk is returned as it is (a plain
 * `Uint8Array` view over it), several are joined.
 *
 * @example
 * ```ts
 * const bytes = await readCapped(request.body, 64 * 1024)
 * if (bytes === undefined) throw new RequestError('body_too_large', 'body larger than 64 KiB')
 * ```
 *
 * @throws whatever the stream throws when reading fails (callers map it to their own error);
 *   `TypeError` when the stream is locked or `maxBytes` is not a non-negative number.
 */
export async function readCapped(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  if (typeof maxBytes !== 'number' || Number.isNaN(maxBytes) || maxBytes < 0) {
    throw new TypeError('expected maxBytes to be a non-negative number')
  }
  if (stream === null) {
    return EMPTY
  }
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) {
        break
      }
      total += value.byteLength
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined)
        return undefined
      }
      chunks.push(value)
    }
  } finally {
    reader.releaseLock()
  }
  if (chunks.length === 1) {
    const only = chunks[0] as Uint8Array
    return only.constructor === Uint8Array
      ? only
      : new Uint8Array(only.buffer, only.byteOffset, only.byteLength)
  }
  // A loop, not concatBytes(...chunks): a body sent one byte at a time would pass too many
  // arguments to a spread.
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
