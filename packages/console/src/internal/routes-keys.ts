/**
 * API-key routes: list with search and filters, create (key and secret answered once), disable,
 * enable, reroll with a grace period, delete.
 *
 * @module
 */
import type { ApiKeyInfo, CreateApiKeyInput } from '@countersign/tokens'
import { optionalString, readJsonBody, requiredString } from './body.ts'
import type { ConsoleRoute, RouteContext } from './context.ts'
import { ConsoleError, json } from './http.ts'

const KEY_ID = /^ak_[A-Za-z0-9_-]{22}$/
const GRACE_NS = 'cs:console:grace:'
const STATES = ['active', 'disabled', 'expired'] as const

function stateOf(info: ApiKeyInfo, now: number): (typeof STATES)[number] {
  if (info.disabled) {
    return 'disabled'
  }
  return info.expiresAt !== undefined && info.expiresAt.getTime() <= now ? 'expired' : 'active'
}

async function view(ctx: RouteContext, info: ApiKeyInfo): Promise<object> {
  const grace = await ctx.parts.graceStore.get(GRACE_NS + info.id)
  const graceUntil = grace === undefined ? undefined : Number(grace)
  return {
    id: info.id,
    name: info.name,
    scopes: info.scopes,
    state: stateOf(info, ctx.parts.now()),
    createdAt: info.createdAt.toISOString(),
    expiresAt: info.expiresAt?.toISOString() ?? null,
    rateLimit: info.rateLimit ?? null,
    meta: info.meta ?? null,
    hasSecret: info.hasSecret,
    oldKeyGraceUntil:
      graceUntil !== undefined && graceUntil > ctx.parts.now()
        ? new Date(graceUntil).toISOString()
        : null,
  }
}

function keyId(ctx: RouteContext): string {
  const id = ctx.params.id ?? ''
  if (!KEY_ID.test(id)) {
    throw new ConsoleError(400, 'malformed', 'expected an API key id (ak_…)')
  }
  return id
}

function notFound(): ConsoleError {
  return new ConsoleError(404, 'api_key_not_found', 'no API key with that id')
}

/** Tokens-package validation errors are safe to show: they name the member, never a secret. */
async function withInputErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw new ConsoleError(400, 'invalid_input', error.message)
    }
    throw error
  }
}

async function list(ctx: RouteContext): Promise<Response> {
  const q = (ctx.url.searchParams.get('q') ?? '').toLowerCase()
  const state = ctx.url.searchParams.get('state') ?? ''
  const scope = ctx.url.searchParams.get('scope') ?? ''
  if (state !== '' && !(STATES as readonly string[]).includes(state)) {
    throw new ConsoleError(400, 'malformed', 'expected state to be active, disabled or expired')
  }
  const now = ctx.parts.now()
  const keys = (await ctx.parts.apiKeys.list({ limit: 1000 })).filter(
    (info) =>
      (q === '' || info.name.toLowerCase().includes(q) || info.id.toLowerCase().includes(q)) &&
      (state === '' || stateOf(info, now) === state) &&
      (scope === '' || info.scopes.includes(scope)),
  )
  return json(200, { keys: await Promise.all(keys.map((info) => view(ctx, info))) })
}

async function create(ctx: RouteContext): Promise<Response> {
  const body = await readJsonBody(ctx.request, [
    'name',
    'scopes',
    'expiresAt',
    'rateLimit',
    'withSecret',
    'meta',
  ])
  const input: CreateApiKeyInput = { name: requiredString(body, 'name', 200) }
  if (body.scopes !== undefined) {
    input.scopes = body.scopes as string[]
  }
  const expiresAt = optionalString(body, 'expiresAt', 40)
  if (expiresAt !== undefined) {
    const ms = Date.parse(expiresAt)
    if (!Number.isFinite(ms) || ms <= ctx.parts.now()) {
      throw new ConsoleError(400, 'invalid_input', 'expected expiresAt to be a future ISO date')
    }
    input.expiresAt = ms
  }
  if (body.rateLimit !== undefined && body.rateLimit !== null) {
    input.rateLimit = body.rateLimit as never
  }
  if (body.meta !== undefined && body.meta !== null) {
    input.meta = body.meta as Record<string, unknown>
  }
  input.withSecret = body.withSecret === true
  const created = await withInputErrors(() => ctx.parts.apiKeys.createApiKey(input))
  await ctx.record({ type: 'admin', action: 'api_key.create', keyId: created.id, status: 201 })
  return json(201, created)
}

function action(name: 'disable' | 'enable'): ConsoleRoute {
  return {
    method: 'POST',
    path: `keys/:id/${name}`,
    async handle(ctx) {
      const id = keyId(ctx)
      if (!(await ctx.parts.apiKeys[name](id))) {
        throw notFound()
      }
      await ctx.record({ type: 'admin', action: `api_key.${name}`, keyId: id, status: 200 })
      return json(200, { id, state: name === 'disable' ? 'disabled' : 'active' })
    },
  }
}

async function reroll(ctx: RouteContext): Promise<Response> {
  const id = keyId(ctx)
  const body = await readJsonBody(ctx.request, ['gracePeriodMs', 'rerollSecret'])
  const gracePeriodMs = body.gracePeriodMs === undefined ? 0 : body.gracePeriodMs
  if (typeof gracePeriodMs !== 'number') {
    throw new ConsoleError(400, 'invalid_input', 'expected gracePeriodMs to be a number')
  }
  const created = await withInputErrors(() =>
    ctx.parts.apiKeys.reroll(id, { gracePeriodMs, rerollSecret: body.rerollSecret === true }),
  )
  if (created === undefined) {
    throw notFound()
  }
  if (gracePeriodMs > 0) {
    const until = ctx.parts.now() + gracePeriodMs
    await ctx.parts.graceStore.set(GRACE_NS + id, String(until), { ttlMs: gracePeriodMs })
  }
  await ctx.record({ type: 'admin', action: 'api_key.reroll', keyId: id, status: 200 })
  return json(200, {
    ...created,
    oldKeyGraceUntil: new Date(ctx.parts.now() + gracePeriodMs).toISOString(),
  })
}

/** The API-key routes. */
export const keyRoutes: ConsoleRoute[] = [
  { method: 'GET', path: 'keys', handle: list },
  { method: 'POST', path: 'keys', handle: create },
  action('disable'),
  action('enable'),
  { method: 'POST', path: 'keys/:id/reroll', handle: reroll },
  {
    method: 'DELETE',
    path: 'keys/:id',
    async handle(ctx) {
      const id = keyId(ctx)
      if (id === ctx.session?.actor) {
        throw new ConsoleError(
          409,
          'api_key_in_use',
          'you cannot delete the key you signed in with',
        )
      }
      if (!(await ctx.parts.apiKeys.delete(id))) {
        throw notFound()
      }
      await ctx.record({ type: 'admin', action: 'api_key.delete', keyId: id, status: 200 })
      return json(200, { id, deleted: true })
    },
  },
]
