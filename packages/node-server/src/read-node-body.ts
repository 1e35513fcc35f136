/// <reference types="node" />
/**
 * Reading a Node byte stream (a `node:http` request, a framework's payload) with a hard cap.
 *
 * @module
 */
import { RequestError } from '@countersign/core'

/**
 * Reads `stream` to its end and returns its bytes, refusing more than `maxBytes`: past the cap
 * the stream is paused and nothing more is kept. A single chunk is returned as it is.
 *
 * @example
 * ```ts
 * const body = await readNodeBody(req, 64 * 1024)
 * ```
 *
 * @throws RequestError `body_too_large` past the cap, `malformed` when the stream fails or
 *   closes before its end (an aborted request).
 */
export function readNodeBody(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let total = 0
    const cleanup = (): void => {
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      stream.removeListener('close', onError)
    }
    const onData = (chunk: Uint8Array | string): void => {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
      total += bytes.byteLength
      if (total > maxBytes) {
        cleanup()
        stream.pause()
        reject(new RequestError('body_too_large', `the body is larger than ${maxBytes} bytes`))
        return
      }
      chunks.push(bytes)
    }
    const onEnd = (): void => {
      cleanup()
      resolve(joinChunks(chunks, total))
    }
    const onError = (): void => {
      cleanup()
      reject(new RequestError('malformed', 'the request body could not be read'))
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onError)
    stream.resume()
  })
}

function joinChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const only = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, total)
  // A plain Uint8Array view, as Web code expects, whatever the stream handed over.
  return new Uint8Array(only.buffer, only.byteOffset, only.byteLength)
}
