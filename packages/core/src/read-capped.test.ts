import { describe, expect, it } from 'vitest'
import { readCapped } from './read-capped.ts'

function streamOf(chunks: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++]
      if (chunk === undefined) {
        controller.close()
      } else {
        controller.enqueue(chunk)
      }
    },
    cancel() {
      onCancel?.()
    },
  })
}

const bytes = (...values: number[]) => new Uint8Array(values)

describe('readCapped', () => {
  it('reads no body as zero bytes', async () => {
    expect(await readCapped(null, 0)).toEqual(new Uint8Array(0))
  })

  it('returns one chunk as a plain Uint8Array and joins several', async () => {
    const one = await readCapped(streamOf([bytes(1, 2, 3)]), 3)
    expect(one).toEqual(bytes(1, 2, 3))
    expect(one?.constructor).toBe(Uint8Array)
    expect(await readCapped(streamOf([bytes(1), bytes(2, 3), bytes(4)]), 4)).toEqual(
      bytes(1, 2, 3, 4),
    )
  })

  it('joins a body that arrived one byte at a time', async () => {
    const chunks = Array.from({ length: 200_000 }, (_, i) => bytes(i & 0xff))
    const read = await readCapped(streamOf(chunks), 200_000)
    expect(read?.byteLength).toBe(200_000)
    expect(read?.[199_999]).toBe(199_999 & 0xff)
  })

  it('gives up past the cap, cancels the stream and pulls nothing more', async () => {
    let cancelled = false
    let pulled = 0
    const chunks = [bytes(1, 2), bytes(3, 4), bytes(5, 6), bytes(7, 8)]
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const chunk = chunks[pulled++]
          if (chunk === undefined) {
            controller.close()
          } else {
            controller.enqueue(chunk)
          }
        },
        cancel() {
          cancelled = true
        },
      },
      { highWaterMark: 0 },
    )
    expect(await readCapped(stream, 3)).toBeUndefined()
    expect(cancelled).toBe(true)
    expect(pulled).toBe(2)
    expect(stream.locked).toBe(false)
  })

  it('passes a read failure through and releases the lock', async () => {
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'))
      },
    })
    await expect(readCapped(failing, 10)).rejects.toThrow('connection reset')
    expect(failing.locked).toBe(false)
  })

  it('refuses a locked stream and a bad cap', async () => {
    const stream = streamOf([bytes(1)])
    stream.getReader()
    await expect(readCapped(stream, 10)).rejects.toThrow(TypeError)
    await expect(readCapped(streamOf([]), -1)).rejects.toThrow(TypeError)
    await expect(readCapped(streamOf([]), Number.NaN)).rejects.toThrow(TypeError)
  })
})
