/**
 * `@countersign/verifier/fastify`: a Fastify 5 plugin (and a per-route hook) that verifies each
 * request's RFC 9421 signature.
 *
 * Verification runs in a `preParsing` hook, which sees the body stream as it arrives: the hook
 * reads the raw bytes once (with a cap), verifies the signature and `Content-Digest` over them,
 * and hands exactly those bytes on to Fastify's own content-type parsers. Routes keep their
 * JSON parsing and schema validation, and never see a byte that was not verified. Register the
 * plugin before any other `preParsing` hook that transforms the body (decompression, …): the
 * signature covers the bytes as sent.
 *
 * The plugin also guards `Expect: 100-continue` on the Fastify server (for the routes of its
 * scope), as `@countersign/verifier/node`'s `checkContinue` does: `100 Continue` is sent only to
 * a signed, well-formed request within the body cap. The per-route {@link countersignHook}
 * cannot (Node answers before any hook runs); use the plugin where that matters.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { RequestError } from '@countersign/core'
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  preParsingHookHandler,
} from 'fastify'
import { type AdapterCore, createAdapterCore } from '../internal/adapter.ts'
import type { VerifiedRequest, VerifyRequestOptions } from '../types.ts'
import { announcesBody, guardContinue, readStream, requestParts } from './internal/node-io.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request's verified signature proved; `null` before verification. */
    countersign: VerifiedRequest | null
  }
}

/** Options of the {@link countersign} plugin and {@link countersignHook}. */
export interface FastifyCountersignOptions extends Omit<VerifyRequestOptions, 'fieldLines'> {
  /**
   * The public origin clients sign for, e.g. `'https://api.example.com'`, or several (the
   * request's `Host` picks one). Required: the URL is never built from `Host` alone.
   */
  origin: string | readonly string[]
  /**
   * Which `Expect: 100-continue` requests the plugin decides for, before Node would answer
   * `100 Continue` on its own: `true` (default) those under the scope's prefix (every request
   * when it has none), a function to choose, `false` none. Ignored by {@link countersignHook}.
   */
  checkContinue?: boolean | ((req: IncomingMessage) => boolean)
}

function hookFor(core: AdapterCore): preParsingHookHandler {
  return async function countersignPreParsing(
    request: FastifyRequest,
    reply: FastifyReply,
    payload,
  ) {
    const req = request.raw
    let bodyRead = false
    let hasBody = announcesBody(req)
    let hasType = false
    try {
      const { fields, target } = requestParts(core, req)
      hasType = fields.get('content-type') !== null
      const prepared = core.prepare(fields)
      const length = fields.get('content-length')
      if (length !== null && Number(length) > core.maxBodyBytes) {
        throw new RequestError(
          'body_too_large',
          `the body is larger than ${core.maxBodyBytes} bytes`,
        )
      }
      const body = await readStream(payload, core.maxBodyBytes)
      bodyRead = true
      hasBody = body.length > 0
      request.countersign = await core.complete(prepared, target, body)
      const verified = Readable.from(
        body.length === 0 ? [] : [Buffer.from(body.buffer, body.byteOffset, body.byteLength)],
      ) as Readable & { receivedEncodedLength: number }
      verified.receivedEncodedLength = body.length
      return verified
    } catch (error) {
      const answer = core.answer(error, hasBody, hasType)
      if (answer === undefined) {
        throw error
      }
      const headers: Record<string, string> = { ...answer.headers }
      if (!bodyRead) {
        headers.connection = 'close'
      }
      // A Buffer, so Fastify does not add a charset to the problem's media type.
      reply.code(answer.status).headers(headers).send(Buffer.from(answer.body))
      return reply
    }
  }
}

/**
 * Creates a `preParsing` hook that verifies a request, for one route:
 * `app.post('/orders', { preParsing: countersignHook(options) }, handler)`. Refusals are
 * answered as by the {@link countersign} plugin.
 *
 * @throws `TypeError` when an option is invalid or `origin` is missing.
 */
export function countersignHook(options: FastifyCountersignOptions): preParsingHookHandler {
  return hookFor(createAdapterCore(options, 'countersignHook', ['checkContinue'], true).core)
}

/** Whether the request target `url` is `prefix` or below it (path segments, not characters). */
function underPrefix(url: string | undefined, prefix: string): boolean {
  const path = url ?? ''
  if (!path.startsWith(prefix)) {
    return false
  }
  const next = path.charAt(prefix.length)
  return next === '' || next === '/' || next === '?' || prefix.endsWith('/')
}

const plugin = (
  instance: FastifyInstance,
  options: FastifyCountersignOptions,
  done: (error?: Error) => void,
): void => {
  let hook: preParsingHookHandler
  try {
    const { core, extras } = createAdapterCore(options, 'countersign', ['checkContinue'], true)
    hook = hookFor(core)
    // Node answers `100 Continue` before any hook runs: guard it here, for this scope's routes.
    const guard = extras.checkContinue ?? true
    if (guard !== false) {
      if (guard !== true && typeof guard !== 'function') {
        throw new TypeError('countersign: checkContinue must be a boolean or a function')
      }
      const prefix = instance.prefix
      const match =
        typeof guard === 'function'
          ? (guard as (req: IncomingMessage) => boolean)
          : prefix === '' || prefix === '/'
            ? undefined
            : (req: IncomingMessage) => underPrefix(req.url, prefix)
      guardContinue(core, instance.server, match === undefined ? {} : { match })
    }
  } catch (error) {
    done(error as Error)
    return
  }
  if (!instance.hasRequestDecorator('countersign')) {
    instance.decorateRequest('countersign', null)
  }
  instance.addHook('preParsing', hook)
  done()
}

/**
 * A Fastify plugin that verifies every request of the scope it is registered in (its hook is
 * not encapsulated, like `fastify-plugin`): RFC 9421 signature, `Content-Digest` over the bytes
 * received, time window and nonce. Refusals are answered with 400 (malformed, duplicate header,
 * unsupported component), 401 (not verified, with `Accept-Signature`), 413 (body too large) or
 * 503 (nonce store or key resolver down) as `application/problem+json` with `type`, `title`,
 * `status` and `code` only. On success `request.countersign` holds what was proved and Fastify
 * parses `request.body` from the verified bytes as usual.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { countersign } from '@countersign/verifier/fastify'
 *
 * const app = Fastify()
 * await app.register(async (api) => {
 *   await api.register(countersign, { keys, origin: 'https://api.example.com' })
 *   api.post('/orders', async (request) => ({ from: request.countersign?.keyId }))
 * })
 * ```
 *
 * Register options are checked when the plugin loads (`app.ready()` rejects with a
 * `TypeError` for an invalid option or a missing `origin`).
 */
export const countersign: FastifyPluginCallback<FastifyCountersignOptions> = Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'countersign',
})
