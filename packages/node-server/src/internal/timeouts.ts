/// <reference types="node" />
/**
 * The server's timeouts and the per-response send timer.
 *
 * @internal
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { ServeOptions } from '../types.ts'
import type { InFlight } from './client-errors.ts'

export interface Timeouts {
  headers: number
  request: number
  keepAlive: number
  send: number
  drain: number
}

function timeoutOf(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) {
    return fallback
  }
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive whole number of milliseconds`)
  }
  return value
}

/** The server's timeouts, checked (`RangeError` for a bad one). */
export function timeoutsOf(options: ServeOptions): Timeouts {
  const timeouts = {
    headers: timeoutOf(options.headersTimeoutMs, 10_000, 'headersTimeoutMs'),
    request: timeoutOf(options.requestTimeoutMs, 30_000, 'requestTimeoutMs'),
    keepAlive: timeoutOf(options.keepAliveTimeoutMs, 5_000, 'keepAliveTimeoutMs'),
    send: timeoutOf(options.sendTimeoutMs, 30_000, 'sendTimeoutMs'),
    drain: timeoutOf(options.drainTimeoutMs, 10_000, 'drainTimeoutMs'),
  }
  if (timeouts.request < timeouts.headers) {
    throw new RangeError('requestTimeoutMs must be at least headersTimeoutMs')
  }
  return timeouts
}

/**
 * Remembers `res` as the socket's response in flight (for `clientError` answers) and, once
 * the answer is ended, gives the client `sendMs` to take it before the socket is destroyed.
 */
export function trackResponse(
  inFlight: WeakMap<Duplex, InFlight>,
  req: IncomingMessage,
  res: ServerResponse,
  sendMs: number,
): void {
  const socket = req.socket
  const entry = { req, res }
  inFlight.set(socket, entry)
  let timer: NodeJS.Timeout | undefined
  const done = (): void => {
    clearTimeout(timer)
    if (inFlight.get(socket) === entry) {
      inFlight.delete(socket)
    }
  }
  res.once('prefinish', () => {
    timer = setTimeout(() => socket.destroy(), sendMs)
    timer.unref()
  })
  res.once('finish', done)
  res.once('close', done)
}
