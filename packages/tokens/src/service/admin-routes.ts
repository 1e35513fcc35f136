/**
 * The admin routes under `/admin/api-keys` (scope `admin`): create, list, get, delete,
 * disable, enable, reroll. Errors are RFC 9457 problems, with `member` and `pointer` for a bad
 * body member.
 *
 * @module
 */
import { type JsonObject, RequestError } from '@countersign/core'
import {
  type CreateApiKeyInput,
  MAX_GRACE_PERIOD_MS,
  RATE_LIMIT_RANGE,
  RATE_WINDOW_RANGE,
  type RateLimit,
} from '../api-keys.ts'
import { asBadInput } from './as-bad-input.ts'
import { authenticateCaller } from './authenticate-caller.ts'
import { empty, json } from './http.ts'
import {
  futureTimeMember,
  integerMember,
  MemberError,
  onlyMembers,
  typedMember,
} from './members.ts'
import { readJsonObject, readOptionalJsonObject } from './request-body.ts'
import type { Route, RouteContext, RouteGroup, ServiceParts } from './route.ts'
import { TOKEN_SERVICE_SCOPES } from './scopes.ts'

/** The members each JSON route accepts; any other member is refused with `malformed`. */
const CREATE_KEY_MEMBERS = [
  'name',
  'scopes',
  'expiresAt',
  'meta',
  'rateLimit',
  'withSecret',
] as const
const REROLL_MEMBERS = ['gracePeriodMs', 'rerollSecret'] as const

const notFound = (): RequestError => new RequestError('not_found', 'no such API key')

function rateLimitMember(body: JsonObject): RateLimit | undefined {
  const rateLimitBody = typedMember(body.rateLimit, ['rateLimit'], 'object')
  if (rateLimitBody === undefined) {
    return undefined
  }
  onlyMembers(rateLimitBody, ['limit', 'windowMs'], ['rateLimit'])
  const limit = integerMember(rateLimitBody.limit, ['rateLimit', 'limit'], RATE_LIMIT_RANGE)
  const windowMs = integerMember(
    rateLimitBody.windowMs,
    ['rateLimit', 'windowMs'],
    RATE_WINDOW_RANGE,
  )
  if (limit === undefined || windowMs === undefined) {
    throw new MemberError(['rateLimit', limit === undefined ? 'limit' : 'windowMs'], 'required')
  }
  return { limit, windowMs }
}

/** The create input a `POST /admin/api-keys` body describes. */
function createInput(body: JsonObject): CreateApiKeyInput {
  onlyMembers(body, CREATE_KEY_MEMBERS)
  const name = typedMember(body.name, ['name'], 'string')
  if (name === undefined) {
    throw new MemberError(['name'], 'required')
  }
  const scopes = typedMember(body.scopes, ['scopes'], 'array')
  scopes?.forEach((scope, i) => {
    if (typeof scope !== 'string') {
      throw new MemberError(['scopes', String(i)], 'expected a scope string')
    }
  })
  const expires = futureTimeMember(body.expiresAt, ['expiresAt'], Date.now())
  const meta = typedMember(body.meta, ['meta'], 'object')
  const rateLimit = rateLimitMember(body)
  const withSecret = typedMember(body.withSecret, ['withSecret'], 'boolean')
  return {
    name,
    ...(scopes === undefined ? {} : { scopes: scopes as string[] }),
    ...(expires === undefined ? {} : { expiresAt: expires }),
    ...(meta === undefined ? {} : { meta }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(withSecret === undefined ? {} : { withSecret }),
  }
}

/** The admin route group. */
export function adminRoutes(parts: ServiceParts): RouteGroup {
  const { apiKeys, maxBodyBytes } = parts
  const admin = (handle: (ctx: RouteContext, id: string) => Promise<Response>) => {
    return async (ctx: RouteContext): Promise<Response> => {
      await authenticateCaller(apiKeys, ctx, TOKEN_SERVICE_SCOPES.admin)
      return handle(ctx, ctx.params.id ?? '')
    }
  }
  const toggles = (['disable', 'enable'] as const).map(
    (action): Route => ({
      method: 'POST',
      path: `/admin/api-keys/:id/${action}`,
      handle: admin(async (ctx, id) => {
        onlyMembers(await readOptionalJsonObject(ctx.request, maxBodyBytes), [])
        const found = action === 'disable' ? await apiKeys.disable(id) : await apiKeys.enable(id)
        if (!found) {
          throw notFound()
        }
        return json(200, { id, disabled: action === 'disable' })
      }),
    }),
  )
  return {
    style: 'problem',
    routes: [
      {
        method: 'POST',
        path: '/admin/api-keys',
        handle: admin(async (ctx) => {
          const input = createInput(await readJsonObject(ctx.request, maxBodyBytes))
          return json(201, await asBadInput(() => apiKeys.createApiKey(input), CREATE_KEY_MEMBERS))
        }),
      },
      {
        method: 'GET',
        path: '/admin/api-keys',
        handle: admin(async () => json(200, { keys: await apiKeys.list() })),
      },
      {
        method: 'GET',
        path: '/admin/api-keys/:id',
        handle: admin(async (_ctx, id) => {
          const info = await apiKeys.get(id)
          if (info === undefined) {
            throw notFound()
          }
          return json(200, info)
        }),
      },
      {
        method: 'DELETE',
        path: '/admin/api-keys/:id',
        handle: admin(async (_ctx, id) => {
          if (!(await apiKeys.delete(id))) {
            throw notFound()
          }
          return empty(204)
        }),
      },
      ...toggles,
      {
        method: 'POST',
        path: '/admin/api-keys/:id/reroll',
        handle: admin(async (ctx, id) => {
          const body = await readOptionalJsonObject(ctx.request, maxBodyBytes)
          onlyMembers(body, REROLL_MEMBERS)
          const gracePeriodMs = integerMember(body.gracePeriodMs, ['gracePeriodMs'], {
            min: 0,
            max: MAX_GRACE_PERIOD_MS,
          })
          const rerollSecret = typedMember(body.rerollSecret, ['rerollSecret'], 'boolean')
          const rerolled = await asBadInput(
            () =>
              apiKeys.reroll(id, {
                ...(gracePeriodMs === undefined ? {} : { gracePeriodMs }),
                ...(rerollSecret === undefined ? {} : { rerollSecret }),
              }),
            REROLL_MEMBERS,
          )
          if (rerolled === undefined) {
            throw notFound()
          }
          return json(200, rerolled)
        }),
      },
    ],
  }
}
