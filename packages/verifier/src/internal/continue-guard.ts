/**
 * The `checkContinue` guard every adapter on `node:http` installs: a request with
 * `Expect: 100-continue` gets `100 Continue` only when it is signed, its signature fields parse,
 * its authority is ours and its declared body is within the cap; otherwise its 4xx at once.
 * Duck-typed (no Node import), so the Web-only Hono adapter shares it. One listener per server,
 * however many adapters guard it.
 *
 * @module
 */

import type { FieldLine } from '@countersign/core'
import { RequestError } from '@countersign/core'
import { type AdapterCore, type Answer, INTERNAL_ANSWER } from './adapter.ts'
import { fieldsFrom } from './fields.ts'

/** What the guard reads of a `node:http` request. */
export interface ContinueRequest {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly rawHeaders: readonly string[]
}

/** What the guard uses of a `node:http` response. */
export interface ContinueResponse {
  writeContinue(): void
  writeHead(status: number, headers: Record<string, string | number>): unknown
  end(body: string): unknown
}

/** What the guard uses of a `node:http` server. */
export interface ContinueServer {
  on(
    event: 'checkContinue',
    listener: (req: ContinueRequest, res: ContinueResponse) => void,
  ): unknown
  emit(event: 'request', req: unknown, res: unknown): boolean
}

interface Guard {
  readonly core: AdapterCore
  readonly match: ((req: never) => boolean) | undefined
}

const guards = new WeakMap<object, Guard[]>()

/**
 * Adds a guard for `core` on `server` (installing the one listener on first use).
 *
 * @throws `TypeError` when `server` is not a `node:http` server or `match` not a function.
 */
export function addContinueGuard(
  core: AdapterCore,
  server: ContinueServer,
  match: ((req: never) => boolean) | undefined,
): void {
  if (typeof server?.on !== 'function' || typeof server.emit !== 'function') {
    throw new TypeError('checkContinue needs the node:http Server')
  }
  if (match !== undefined && typeof match !== 'function') {
    throw new TypeError('checkContinue: match must be a function')
  }
  let list = guards.get(server)
  if (list === undefined) {
    const installed: Guard[] = []
    list = installed
    guards.set(server, installed)
    server.on('checkContinue', (req, res) => {
      for (const guard of installed) {
        if (guard.match === undefined || guard.match(req as never)) {
          const answer = verdict(guard.core, req)
          if (answer !== undefined) {
            send(res, answer)
            return
          }
        }
      }
      res.writeContinue()
      server.emit('request', req, res)
    })
  }
  list.push({ core, match })
}

/** The refusal for `req` before its body is sent, or `undefined` to continue. */
function verdict(core: AdapterCore, req: ContinueRequest): Answer | undefined {
  let hasType = false
  try {
    const raw = req.rawHeaders
    const lines: FieldLine[] = []
    for (let i = 0; i + 1 < raw.length; i += 2) {
      lines.push([String(raw[i]), String(raw[i + 1])])
    }
    const fields = fieldsFrom(lines)
    hasType = fields.get('content-type') !== null
    core.target(req.method ?? 'GET', req.url ?? '', fields)
    core.prepare(fields)
    const length = fields.get('content-length')
    if (length !== null && Number(length) > core.maxBodyBytes) {
      throw new RequestError('body_too_large', 'the body is too large')
    }
    return undefined
  } catch (error) {
    return core.answer(error, true, hasType) ?? INTERNAL_ANSWER
  }
}

function send(res: ContinueResponse, answer: Answer): void {
  res.writeHead(answer.status, {
    ...answer.headers,
    'content-length': new TextEncoder().encode(answer.body).length,
    connection: 'close',
  })
  res.end(answer.body)
}
