import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { serveNodeListener } from './serve-node-listener.ts'

describe('serveNodeListener options', () => {
  it.each([
    [{ headersTimeoutMs: 0 }],
    [{ requestTimeoutMs: -1 }],
    [{ keepAliveTimeoutMs: 1.5 }],
    [{ sendTimeoutMs: Number.NaN }],
    [{ drainTimeoutMs: Number.POSITIVE_INFINITY }],
    [{ headersTimeoutMs: 2_000, requestTimeoutMs: 1_000 }],
  ])('refuses %o with a RangeError', (bad) => {
    expect(() => serveNodeListener(() => undefined, { port: 0, ...bad })).toThrow(RangeError)
  })

  it('close() cuts a connection whose answer never comes after drainTimeoutMs', async () => {
    const running = await serveNodeListener(() => undefined, { port: 0, drainTimeoutMs: 200 })
    const { port } = new URL(running.url)
    const socket = connect(Number(port), '127.0.0.1')
    socket.on('error', () => undefined)
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()))
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n')
    await new Promise((resolve) => setTimeout(resolve, 100))
    await running.close()
    await closed
    expect(socket.destroyed).toBe(true)
  })
})
