/**
 * `@countersign/verifier/hono`: Hono 4 middleware that verifies each request's RFC 9421
 * signature. Web APIs only: it runs wherever Hono runs (Workers, Deno, Bun, Node).
 *
 * The middleware reads `c.req.raw`'s body once (with a cap), verifies it, and puts the verified
 * bytes in Hono's body cache, so `c.req.json()`, `c.req.text()` and `c.req.arrayBuffer()` keep
 * working in the handler and return exactly the bytes that were verified. (`c.req.raw.json()`
 * does not: that stream has been read.)
 *
 * On Node behind `@hono/node-server` (which passes `{ incoming, outgoing }` as `c.env`), the
 * middleware reads the raw field lines and the request target from `incoming`, so duplicate
 * headers and absolute-form request lines are handled as by `@countersign/verifier/node`; call
 * the middleware's `checkContinue(server)` there so `Expect: 100-continue` is answered only for
 * signed requests.
 *
 * @module
 */
import { type FieldLine, readRequestBody } from '@countersign/core'
import type { Context, MiddlewareHandler } from 'hono'
import type { Target } from '../create-verifier.ts'
import { createAdapterCore } from '../internal/adapter.ts'
import { addContinueGuard, type ContinueServer } from '../internal/continue-guard.ts'
import { type Fields, fieldsFrom } from '../internal/fields.ts'
import type { VerifiedRequest, VerifyRequestOptions } from '../types.ts'

export type { ContinueServer } from '../internal/continue-guard.ts'

/** Options of {@link countersign}: the verifier's options plus the public origin. */
export interface HonoCountersignOptions extends Omit<VerifyRequestOptions, 'fieldLines'> {
  /**
   * The public origin clients sign for, e.g. `'https://api.example.com'`, or several (the
   * request's `Host` picks one). The URL's path and query are kept and its origin replaced.
   * Default: the URL the platform gives (`c.req.url`), which Workers and Deno Deploy derive
   * from the connection. On Node the platform URL comes from the client's `Host` header, so
   * set `origin` there.
   */
  origin?: string | readonly string[]
}

/** The variables the middleware sets: `c.get('countersign')`. */
export interface CountersignVariables {
  /** What the request's verified signature proved. */
  countersign: VerifiedRequest
}

/** What `@hono/node-server` passes as `c.env.incoming` (duck-typed: no Node import). */
interface IncomingLike {
  rawHeaders: string[]
  url: string
}

function incomingOf(c: Context): IncomingLike | undefined {
  const env = c.env as { incoming?: { rawHeaders?: unknown; url?: unknown } } | undefined
  const incoming = typeof env === 'object' && env !== null ? env.incoming : undefined
  if (
    typeof incoming === 'object' &&
    incoming !== null &&
    Array.isArray(incoming.rawHeaders) &&
    typeof incoming.url === 'string'
  ) {
    return incoming as IncomingLike
  }
  return undefined
}

function linesOf(raw: readonly string[]): FieldLine[] {
  const lines: FieldLine[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    lines.push([String(raw[i]), String(raw[i + 1])])
  }
  return lines
}

/** The Hono middleware from {@link countersign}. */
export interface HonoCountersign extends MiddlewareHandler<{ Variables: CountersignVariables }> {
  /**
   * On Node (`@hono/node-server`), registers a `checkContinue` listener on the server `serve()`
   * returns: a request with `Expect: 100-continue` gets `100 Continue` only when it is signed,
   * its signature fields parse and its declared body is within the cap (Node otherwise answers
   * `100 Continue` before the middleware runs). Needs `origin`.
   *
   * @throws `TypeError` when `server` is not a `node:http` server or no `origin` is set.
   */
  checkContinue(server: ContinueServer, options?: { match?: (req: never) => boolean }): void
}

/**
 * Creates Hono middleware that verifies each request's RFC 9421 signature, `Content-Digest`,
 * time window and nonce. Refusals are answered by the middleware: 400 (malformed, duplicate
 * header, unsupported component), 401 (not verified, with `Accept-Signature`), 413 (body too
 * large), 503 (nonce store or key resolver down), as `application/problem+json` with `type`,
 * `title`, `status` and `code` only. On success `c.get('countersign')` holds what was proved and
 * the body readers (`c.req.json()`, …) return the verified bytes.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { type CountersignVariables, countersign } from '@countersign/verifier/hono'
 *
 * const app = new Hono<{ Variables: CountersignVariables }>()
 * app.use('/api/*', countersign({ keys, origin: 'https://api.example.com' }))
 * app.post('/api/orders', async (c) => c.json({ from: c.get('countersign').keyId, order: await c.req.json() }))
 * ```
 *
 * @throws `TypeError` when an option is invalid.
 */
export function countersign(options: HonoCountersignOptions): HonoCountersign {
  const { core } = createAdapterCore(options, 'countersign', [], false)
  const middleware: MiddlewareHandler<{ Variables: CountersignVariables }> = async (c, next) => {
    const raw = c.req.raw
    let hasBody = raw.body !== null
    let hasType = false
    let verified: VerifiedRequest
    try {
      const incoming = incomingOf(c)
      let fields: Fields
      let target: Target
      if (incoming !== undefined) {
        fields = fieldsFrom(linesOf(incoming.rawHeaders))
        target = core.hasOrigin
          ? core.target(raw.method, incoming.url, fields)
          : { method: raw.method, url: raw.url }
      } else {
        fields = fieldsFrom(raw.headers)
        target = core.retarget(raw.method, raw.url, fields)
      }
      hasType = fields.get('content-type') !== null
      const prepared = core.prepare(fields)
      const body = await readRequestBody(raw, core.maxBodyBytes, fields.get('content-length'))
      hasBody = body.length > 0
      verified = await core.complete(prepared, target, body)
    } catch (error) {
      const answer = core.answer(error, hasBody, hasType)
      if (answer === undefined) {
        throw error
      }
      return c.body(answer.body, answer.status as 400, answer.headers)
    }
    const bytes = verified.body
    // Hono's body readers look here first (its type says methods; at runtime it holds promises).
    ;(c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    )
    c.set('countersign', verified)
    await next()
    return undefined
  }
  return Object.assign(middleware, {
    checkContinue(server: ContinueServer, continueOptions?: { match?: (req: never) => boolean }) {
      if (!core.hasOrigin) {
        throw new TypeError('checkContinue: set origin (the request URL is built from it on Node)')
      }
      addContinueGuard(core, server, continueOptions?.match)
    },
  })
}
