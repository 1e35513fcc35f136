/**
 * The token service's router: matches a path against every group's routes, answers `404` and
 * `405` (with `Allow`), runs the route, turns any failure into its group's error answer, and
 * logs one event per request.
 *
 * @module
 */
import { type ErrorCode, RequestError } from '@countersign/core'
import { errorResponse } from './error-response.ts'
import { classify } from './http.ts'
import type { ErrorStyle, Route, RouteContext, RouteGroup } from './route.ts'

/** One line of the service's log: ids and codes only, never a token, key or parameter. */
export interface TokenServiceLogEvent {
  /** The route pattern, e.g. `POST /generate` or `POST /admin/api-keys/:id/disable`. */
  route: string
  /** The response status. */
  status: number
  /** The error code, when the request failed. */
  code?: ErrorCode | 'internal_error'
  /** The calling API key's id, when one was verified. */
  keyId?: string
  /** Time spent, in milliseconds. */
  durationMs: number
}

/** What a `:name` path segment may be: an API key id. */
const PARAM = /^ak_[A-Za-z0-9_-]{22}$/

interface Entry {
  route: Route
  style: ErrorStyle
  pattern: string[] | undefined
}

interface Candidate {
  entry: Entry
  params: Record<string, string>
}

function paramsOf(pattern: readonly string[], segments: readonly string[]) {
  if (pattern.length !== segments.length) {
    return undefined
  }
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string
    const s = segments[i] as string
    if (p.startsWith(':') ? !PARAM.test(s) : p !== s) {
      return undefined
    }
    if (p.startsWith(':')) {
      params[p.slice(1)] = s
    }
  }
  return params
}

function candidatesOf(entries: readonly Entry[], pathname: string): Candidate[] {
  const segments = pathname.split('/')
  const out: Candidate[] = []
  for (const entry of entries) {
    const params =
      entry.pattern === undefined
        ? entry.route.path === pathname
          ? {}
          : undefined
        : paramsOf(entry.pattern, segments)
    if (params !== undefined) {
      out.push({ entry, params })
    }
  }
  return out
}

/** The answer to a request, the route name it is logged under, and the failure, if any. */
async function dispatch(
  entries: readonly Entry[],
  ctx: RouteContext,
): Promise<{ response: Response; routeName: string; failure?: unknown }> {
  let style: ErrorStyle = 'problem'
  let routeName = 'unmatched'
  try {
    if (!(ctx.request instanceof Request)) {
      throw new TypeError('expected a Request')
    }
    ctx.url = new URL(ctx.request.url)
    const candidates = candidatesOf(entries, ctx.url.pathname)
    const first = candidates[0]
    if (first === undefined) {
      throw new RequestError('not_found', 'no such route')
    }
    style = first.entry.style
    const method = ctx.request.method.toUpperCase()
    const hit = candidates.find((c) => c.entry.route.method === method)
    if (hit === undefined) {
      routeName = `${method} ${first.entry.route.path}`
      const allow = [...new Set(candidates.map((c) => c.entry.route.method))].join(', ')
      const failure = new RequestError('method_not_allowed', `use ${allow}`)
      const response = errorResponse(style, failure)
      response.headers.set('allow', allow)
      return { response, routeName, failure }
    }
    routeName = `${hit.entry.route.method} ${hit.entry.route.path}`
    ctx.params = hit.params
    return { response: await hit.entry.route.handle(ctx), routeName }
  } catch (failure) {
    return { response: errorResponse(style, failure), routeName, failure }
  }
}

/**
 * Creates the handler that routes requests to `groups`, answering each group's errors in its
 * style and everything unmatched as a problem.
 */
export function createRouter(
  groups: readonly RouteGroup[],
  logger: ((event: TokenServiceLogEvent) => void) | undefined,
): (request: Request) => Promise<Response> {
  const entries: Entry[] = groups.flatMap((group) =>
    group.routes.map((route) => ({
      route,
      style: group.style,
      pattern: route.path.includes(':') ? route.path.split('/') : undefined,
    })),
  )
  return async (request) => {
    const started = performance.now()
    const ctx: RouteContext = { request, url: new URL('http://invalid/'), params: {} }
    const { response, routeName, failure } = await dispatch(entries, ctx)
    if (logger !== undefined) {
      const code = failure === undefined ? undefined : classify(failure).code
      try {
        logger({
          route: routeName,
          status: response.status,
          ...(code === undefined ? {} : { code }),
          ...(ctx.caller === undefined ? {} : { keyId: ctx.caller.id }),
          durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        })
      } catch {
        // A logger must not break a response.
      }
    }
    return response
  }
}
