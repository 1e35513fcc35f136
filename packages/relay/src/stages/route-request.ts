/**
 * The routes stage: `POST /secure-request` (and its CORS preflight), `GET /.well-known/jwks.json`
 * and `GET /healthz`; anything else is a problem answer.
 *
 * @internal
 * @module
 */
import { RequestError } from '@countersign/core'
import { jsonAnswer, problemAnswer } from '../internal/http.ts'
import type { RelayAnswer } from '../internal/relay-answer.ts'
import type { RelayContext } from './relay-context.ts'
import { secureRequest } from './secure-request.ts'

/** The CORS headers of an answer to `request`. */
function corsHeaders(context: RelayContext, request: Request): Record<string, string> {
  if (context.allowedOrigins.size === 0) {
    return {} // no CORS configured: nothing to read or add
  }
  const origin = request.headers.get('origin')
  if (origin === null || !context.allowedOrigins.has(origin)) {
    return { vary: 'origin' }
  }
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'ratelimit, ratelimit-policy, retry-after, x-request-id',
    vary: 'origin',
  }
}

function preflight(context: RelayContext, cors: Record<string, string>): RelayAnswer {
  if (!('access-control-allow-origin' in cors)) {
    return { status: 204, body: null, headers: cors }
  }
  return {
    status: 204,
    body: null,
    headers: {
      ...cors,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': String(context.cors?.maxAgeSeconds ?? 600),
    },
  }
}

function secureRoute(context: RelayContext, request: Request): RelayAnswer | Promise<RelayAnswer> {
  const cors = corsHeaders(context, request)
  const withCors = context.allowedOrigins.size > 0
  if (request.method === 'OPTIONS' && withCors) {
    return preflight(context, cors)
  }
  if (request.method !== 'POST') {
    return problemAnswer(new RequestError('method_not_allowed', 'use POST'), {
      allow: withCors ? 'POST, OPTIONS' : 'POST',
      ...cors,
    })
  }
  return secureRequest(context, request, cors)
}

function getOnly(method: string): RelayAnswer | undefined {
  return method === 'GET' || method === 'HEAD'
    ? undefined
    : problemAnswer(new RequestError('method_not_allowed', 'use GET'), { allow: 'GET, HEAD' })
}

/** Answers `request` by its route. */
export function routeRequest(
  context: RelayContext,
  request: Request,
): RelayAnswer | Promise<RelayAnswer> {
  const { method } = request
  switch (new URL(request.url).pathname) {
    case '/secure-request':
      return secureRoute(context, request)
    case '/.well-known/jwks.json':
      return (
        getOnly(method) ?? {
          status: 200,
          headers: {
            'content-type': 'application/jwk-set+json',
            'cache-control': 'public, max-age=300',
            'x-content-type-options': 'nosniff',
          },
          body: method === 'HEAD' ? null : JSON.stringify(context.ring?.jwks() ?? { keys: [] }),
        }
      )
    case '/healthz':
      return getOnly(method) ?? jsonAnswer(200, { status: 'ok' })
    default:
      return problemAnswer(new RequestError('not_found', 'no such route'))
  }
}
