/**
 * Routing one console request: the page and assets, then the JSON API behind the session,
 * same-origin and CSRF checks.
 *
 * @module
 */
import { isCountersignError } from '@countersign/core'
import type { ConsoleParts, ConsoleRoute, RouteContext } from './context.ts'
import { ConsoleError, problem, SECURITY_HEADERS } from './http.ts'
import { asset } from './page.ts'
import { auditRoutes } from './routes-audit.ts'
import { keyRoutes } from './routes-keys.ts'
import { sessionRoutes } from './routes-session.ts'
import { signingRoutes } from './routes-signing.ts'
import { tokenRoutes } from './routes-tokens.ts'
import { csrfMatches, type Session, sessionCookie } from './sessions.ts'

const ROUTES: ConsoleRoute[] = [
  ...sessionRoutes,
  ...keyRoutes,
  ...tokenRoutes,
  ...signingRoutes,
  ...auditRoutes,
]

function match(route: ConsoleRoute, path: string): Record<string, string> | undefined {
  const want = route.path.split('/')
  const got = path.split('/')
  if (want.length !== got.length) {
    return undefined
  }
  const params: Record<string, string> = {}
  for (const [index, part] of want.entries()) {
    const value = got[index] as string
    if (part.startsWith(':')) {
      params[part.slice(1)] = value
    } else if (part !== value) {
      return undefined
    }
  }
  return params
}

/** The live session of the request, if its admin key still may sign in. */
async function liveSession(parts: ConsoleParts, request: Request): Promise<Session | undefined> {
  const id = sessionCookie(request)
  const session = await parts.sessions.get(id)
  if (session === undefined) {
    return undefined
  }
  const key = await parts.apiKeys.get(session.actor)
  const expired = key?.expiresAt !== undefined && key.expiresAt.getTime() <= parts.now()
  if (key === undefined || key.disabled || expired || !key.scopes.includes(parts.adminScope)) {
    await parts.sessions.end(id)
    return undefined
  }
  return session
}

/** Refuses a state change from another site (CSRF), whatever the cookie says. */
function checkSameOrigin(request: Request, url: URL): void {
  const origin = request.headers.get('origin')
  const site = request.headers.get('sec-fetch-site')
  if ((origin !== null && origin !== url.origin) || (site !== null && site !== 'same-origin')) {
    throw new ConsoleError(
      403,
      'cross_site_request',
      'state changes must come from the console itself',
    )
  }
}

async function api(
  parts: ConsoleParts,
  request: Request,
  url: URL,
  path: string,
): Promise<Response> {
  const candidates = ROUTES.map((route) => ({ route, params: match(route, path) })).filter(
    (entry) => entry.params !== undefined,
  )
  const found = candidates.find((entry) => entry.route.method === request.method)
  if (found === undefined) {
    throw candidates.length > 0
      ? new ConsoleError(405, 'method_not_allowed', `${request.method} is not allowed here`)
      : new ConsoleError(404, 'not_found', 'no such console route')
  }
  const changes = request.method !== 'GET'
  if (changes) {
    checkSameOrigin(request, url)
  }
  const session = await liveSession(parts, request)
  if (found.route.public !== true) {
    if (session === undefined) {
      throw new ConsoleError(401, 'session_missing', 'sign in with an admin API key')
    }
    if (changes && !csrfMatches(session, request.headers.get('x-csrf-token'))) {
      throw new ConsoleError(403, 'csrf_invalid', 'the x-csrf-token header is missing or wrong')
    }
  }
  const ctx: RouteContext = {
    request,
    url,
    params: found.params as Record<string, string>,
    session,
    parts,
    record: (event) =>
      parts.audit.append({ ...event, ...(session ? { actor: session.actor } : {}) }),
  }
  return found.route.handle(ctx)
}

/** Answers one console request; never throws. */
export async function dispatch(parts: ConsoleParts, request: Request): Promise<Response> {
  try {
    const url = new URL(request.url)
    const base = parts.basePath
    if (url.pathname === base) {
      return new Response(null, {
        status: 308,
        headers: { ...SECURITY_HEADERS, location: `${base}/` },
      })
    }
    if (!url.pathname.startsWith(`${base}/`)) {
      throw new ConsoleError(404, 'not_found', 'not a console path')
    }
    const rest = url.pathname.slice(base.length)
    if (rest.startsWith('/api/')) {
      return await api(parts, request, url, rest.slice('/api/'.length))
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      throw new ConsoleError(405, 'method_not_allowed', `${request.method} is not allowed here`)
    }
    const file = asset(base, rest)
    if (file === undefined) {
      throw new ConsoleError(404, 'not_found', 'no such console page')
    }
    return file
  } catch (error) {
    if (!(error instanceof ConsoleError) && isCountersignError(error)) {
      return problem(new ConsoleError(error.status, error.code, error.message))
    }
    return problem(error)
  }
}
