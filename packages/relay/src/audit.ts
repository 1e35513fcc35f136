/**
 * Audit sinks: where the relay's one-event-per-request trail goes.
 *
 * @module
 */
import type { AuditSink, RelayAuditEvent } from './types.ts'

/** Anything with a `write(text)` method: a Node stream, a file handle wrapper, a test double. */
export interface TextWritable {
  /** Writes one chunk of text. */
  write(chunk: string): unknown
}

/**
 * An audit sink that writes each event as one JSON line. Events hold ids, sizes, statuses and
 * codes only: never a token, a key or a body.
 *
 * @example
 * ```ts
 * const relay = createRelay({ ...options, audit: jsonLinesSink(process.stdout) })
 * // {"time":"2026-11-23T12:00:00.000Z","requestId":"req_…","userId":"u-1","targetId":"orders","status":200,…}
 * ```
 */
export function jsonLinesSink(stream: TextWritable): AuditSink {
  if (typeof stream !== 'object' || stream === null || typeof stream.write !== 'function') {
    throw new TypeError('jsonLinesSink expects an object with a write(text) method')
  }
  return (event: RelayAuditEvent) => {
    stream.write(`${JSON.stringify(event)}\n`)
  }
}

/** Calls a sink, ignoring whatever it throws or rejects with: auditing never breaks a request. */
export function emitAudit(sink: AuditSink | undefined, event: RelayAuditEvent): void {
  if (sink === undefined) {
    return
  }
  try {
    const result = sink(event)
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      ;(result as Promise<void>).then(undefined, () => undefined)
    }
  } catch {
    // Ignored on purpose.
  }
}
