/**
 * The user-token routes: `POST /v1/user-tokens` (issue) and `GET /.well-known/jwks.json` (the
 * public keys that verify them). Errors are RFC 9457 problems, with `member` and `pointer` for
 * a bad body member.
 *
 * @module
 */
import type { JsonObject } from '@countersign/core'
import { type Duration, toMs } from '../internal/duration.ts'
import type { IssueUserTokenInput } from '../user-tokens.ts'
import { asBadInput } from './as-bad-input.ts'
import { authenticateCaller } from './authenticate-caller.ts'
import { json } from './http.ts'
import { integerMember, MemberError, onlyMembers, typedMember } from './members.ts'
import { readJsonObject } from './request-body.ts'
import { callerOf, type RouteGroup, type ServiceParts } from './route.ts'
import { TOKEN_SERVICE_SCOPES } from './scopes.ts'

/** The members `POST /v1/user-tokens` accepts; any other member is refused with `malformed`. */
const USER_TOKEN_MEMBERS = ['user', 'audience', 'ttl', 'format', 'scope'] as const
/** The longest `ttl` a request may ask for in seconds (the user tokens' `maxTtl` caps it further). */
const MAX_TTL_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000)

/** The `ttl` member: a duration string, or whole seconds. */
async function ttlMember(ttl: JsonObject[string] | undefined): Promise<Duration | undefined> {
  if (typeof ttl === 'string') {
    await asBadInput(async () => toMs(ttl as Duration, 'ttl'), ['ttl'])
    return ttl as Duration
  }
  if (ttl === undefined || ttl === null) {
    return undefined
  }
  if (typeof ttl !== 'number') {
    throw new MemberError(
      ['ttl'],
      'expected a positive number of seconds or a duration such as "30m"',
    )
  }
  return (integerMember(ttl, ['ttl'], { min: 1, max: MAX_TTL_SECONDS }) as number) * 1000
}

/** The issue input a body describes, without `clientId`. */
async function issueInput(body: JsonObject): Promise<Omit<IssueUserTokenInput, 'clientId'>> {
  onlyMembers(body, USER_TOKEN_MEMBERS)
  const user = typedMember(body.user, ['user'], 'object')
  const audience = typedMember(body.audience, ['audience'], 'string')
  if (user === undefined || audience === undefined) {
    throw new MemberError([user === undefined ? 'user' : 'audience'], 'required')
  }
  const ttl = await ttlMember(body.ttl)
  const { format } = body
  if (format !== undefined && format !== 'jwt' && format !== 'opaque') {
    throw new MemberError(['format'], 'expected "jwt" or "opaque"')
  }
  const scope = typedMember(body.scope, ['scope'], 'string')
  return {
    user: user as { id: string },
    audience,
    ...(ttl === undefined ? {} : { ttl }),
    ...(format === undefined ? {} : { format }),
    ...(scope === undefined ? {} : { scope }),
  }
}

/** The user-token route group. */
export function userTokenRoutes(parts: ServiceParts): RouteGroup {
  const { apiKeys, userTokens, maxBodyBytes, jwksMaxAgeSeconds } = parts
  return {
    style: 'problem',
    routes: [
      {
        method: 'POST',
        path: '/v1/user-tokens',
        async handle(ctx) {
          await authenticateCaller(apiKeys, ctx, TOKEN_SERVICE_SCOPES.issueUserTokens)
          const input = await issueInput(await readJsonObject(ctx.request, maxBodyBytes))
          const clientId = callerOf(ctx).id
          const issued = await asBadInput(
            () => userTokens.issueUserToken({ ...input, clientId }),
            USER_TOKEN_MEMBERS,
          )
          const expiresAt = Math.floor(issued.expiresAt.getTime() / 1000)
          return json(201, {
            access_token: issued.token,
            token_type: 'Bearer',
            expires_in: Math.max(0, expiresAt - Math.floor(Date.now() / 1000)),
            expires_at: expiresAt,
            format: issued.format,
            jti: issued.jti,
          })
        },
      },
      {
        method: 'GET',
        path: '/.well-known/jwks.json',
        async handle() {
          const jwks = await userTokens.jwks()
          return new Response(JSON.stringify(jwks), {
            status: 200,
            headers: {
              'content-type': 'application/jwk-set+json',
              'cache-control': `public, max-age=${jwksMaxAgeSeconds}`,
              'x-content-type-options': 'nosniff',
            },
          })
        },
      },
    ],
  }
}
