/// <reference types="node" />
/**
 * The raw field lines of a `node:http` request.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { FieldLine } from '@countersign/core'

/**
 * The field lines of `req`, in order, exactly as received (`req.rawHeaders` in pairs): Node
 * keeps only the first of duplicate `Host`, `Content-Type` or `Authorization` lines in
 * `req.headers`, so duplicate checks and signature components read these.
 *
 * @example
 * ```ts
 * const verified = await verifier.verifyRequest(request, { fieldLines: fieldLinesOf(req) })
 * ```
 *
 * @throws never.
 */
export function fieldLinesOf(req: IncomingMessage): FieldLine[] {
  const raw = req.rawHeaders
  const lines: FieldLine[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    lines.push([raw[i] as string, raw[i + 1] as string])
  }
  return lines
}
