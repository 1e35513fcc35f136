/**
 * The token service as one Web-standard handler, `(request: Request) => Promise<Response>`,
 * mountable in any runtime or framework. Routes:
 *
 * | Route | Caller | Answer |
 * | --- | --- | --- |
 * | `POST /generate` | `x-api-key` (scope `tokens:generate`), JSON parameters | Kudo: `{ token, expiration_time }`; errors 403 `{ message }` |
 * | `GET /verify` | `x-api-token` | Kudo: the stored parameters; errors 403 `{ message }` |
 * | `GET /v1/users/me` | `accessToken` (a user token) | Kaizala: `{ id, name, phoneNumber, pictureUrl, actionPackageId }`; errors 401 `{ message }` |
 * | `POST /v1/user-tokens` | API key (scope `user-tokens:issue`) | `{ access_token, token_type, expires_in, … }` |
 * | `POST /oauth/introspect` | API key (scope `tokens:introspect`), form `token` | RFC 7662 |
 * | `POST /oauth/revoke` | API key (scope `tokens:revoke`), form `token` | RFC 7009: 200, even for unknown tokens |
 * | `GET /.well-known/jwks.json` | anyone | the public JWKS, cacheable |
 * | `/admin/api-keys…` | admin API key (scope `admin`) | create, list, get, disable, enable, reroll, delete |
 *
 * Every other answer is RFC 9457 `application/problem+json` with a stable `code`.
 *
 * @module
 */
import {
  AuthError,
  type ErrorCode,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  parseJsonStrict,
  RateLimitError,
  RequestError,
  type Store,
  TokenError,
} from '@countersign/core'
import {
  type ApiKeys,
  createApiKeys,
  MAX_GRACE_PERIOD_MS,
  RATE_LIMIT_RANGE,
  RATE_WINDOW_RANGE,
  type RateLimit,
  type VerifyApiKeyResult,
} from '../api-keys.ts'
import { readBodyText, requireMediaType } from '../internal/body.ts'
import { type Duration, toMs } from '../internal/duration.ts'
import type { MasterKeyInput } from '../internal/seal.ts'
import { createParameterTokens, type ParameterTokens } from '../parameter-tokens.ts'
import { createSigningKeys, type SigningKeys } from '../signing-keys.ts'
import { createUserTokens, type UserTokens } from '../user-tokens.ts'
import { classify, empty, errorHeaders, json, messageError, problem } from './http.ts'
import {
  badInput,
  futureTimeMember,
  integerMember,
  MemberError,
  memberExtensions,
  onlyMembers,
  typedMember,
} from './members.ts'

/** The scopes the token service checks on API keys. */
export const TOKEN_SERVICE_SCOPES: {
  /** `POST /generate`: issue parameter tokens. */
  readonly generate: 'tokens:generate'
  /** `POST /v1/user-tokens`: issue user tokens. */
  readonly issueUserTokens: 'user-tokens:issue'
  /** `POST /oauth/introspect`. */
  readonly introspect: 'tokens:introspect'
  /** `POST /oauth/revoke` (tokens this key issued; with `admin` too, any token). */
  readonly revoke: 'tokens:revoke'
  /** The `/admin/api-keys` routes. */
  readonly admin: 'admin'
} = {
  generate: 'tokens:generate',
  issueUserTokens: 'user-tokens:issue',
  introspect: 'tokens:introspect',
  revoke: 'tokens:revoke',
  admin: 'admin',
}

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

/** Options for {@link createTokenService}. */
export interface TokenServiceOptions {
  /** The store for every record (memory, SQLite, Redis). */
  store: Store
  /** The `iss` of user tokens, e.g. `https://tokens.example`. */
  issuer: string
  /** 32-byte master key (raw or base64url) sealing signing keys and API key secrets at rest. */
  masterKey?: MasterKeyInput
  /** Signing keys; default {@link createSigningKeys} over the store (EdDSA, weekly rotation). */
  signingKeys?: SigningKeys
  /** API keys; default {@link createApiKeys} over the store. */
  apiKeys?: ApiKeys
  /** Parameter tokens; default {@link createParameterTokens} over the store. */
  parameterTokens?: ParameterTokens
  /** User tokens; default {@link createUserTokens} with the signing keys and the store. */
  userTokens?: UserTokens
  /** Largest request body accepted, in bytes. Default 64 KiB. */
  maxBodyBytes?: number
  /** `Cache-Control: max-age` of the JWKS, in seconds. Default 300. */
  jwksMaxAgeSeconds?: number
  /** Receives one event per request. Must not throw (errors are ignored). */
  logger?: (event: TokenServiceLogEvent) => void
}

/** A Web-standard request handler. */
export type TokenServiceHandler = (request: Request) => Promise<Response>

/** Where a request came in: compatibility routes answer errors their own way. */
type Style = 'problem' | 'kudo' | 'kaizala' | 'oauth'

interface Context {
  request: Request
  url: URL
  /** Set once an API key has been verified. */
  caller?: VerifyApiKeyResult & { id: string }
  params: Record<string, string>
}

interface Route {
  method: string
  /** Literal path, or segments with `:name` parameters. */
  path: string
  style: Style
  handle: (ctx: Context) => Promise<Response>
}

const KEY_ID = /^ak_[A-Za-z0-9_-]{22}$/

/** The members each JSON route accepts; any other member is refused with `malformed`. */
const USER_TOKEN_MEMBERS = ['user', 'audience', 'ttl', 'format', 'scope'] as const
const CREATE_KEY_MEMBERS = [
  'name',
  'scopes',
  'expiresAt',
  'meta',
  'rateLimit',
  'withSecret',
] as const
const REROLL_MEMBERS = ['gracePeriodMs', 'rerollSecret'] as const
/** The longest `ttl` a request may ask for in seconds (the user tokens' `maxTtl` caps it further). */
const MAX_TTL_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000)

function malformed(detail: string): RequestError {
  return new RequestError('malformed', detail)
}

/** Messages of the Kudo routes, by code (the seed: 403 "with a descriptive error message"). */
const KUDO_MESSAGES: Partial<Record<string, string>> = {
  token_missing: 'Missing token',
  token_invalid: 'Wrong token',
  token_expired: 'Token expired',
  token_revoked: 'Token revoked',
  rate_limited: 'Rate limit exceeded',
  unsupported_media_type: 'Content-Type must be application/json',
  invalid_json: 'Invalid JSON body',
  malformed: 'Malformed request',
  body_too_large: 'Body too large',
  method_not_allowed: 'Method not allowed',
}

const KAIZALA_MESSAGES: Partial<Record<string, string>> = {
  token_missing: 'Missing access token',
  token_invalid: 'Invalid access token',
  token_expired: 'Access token expired',
  token_revoked: 'Access token revoked',
}

const OAUTH_ERRORS: Partial<Record<string, string>> = {
  api_key_invalid: 'invalid_client',
  forbidden: 'unauthorized_client',
  malformed: 'invalid_request',
  invalid_json: 'invalid_request',
  unsupported_media_type: 'invalid_request',
  body_too_large: 'invalid_request',
}

function errorResponse(style: Style, error: unknown): Response {
  const { code, status } = classify(error)
  if (status >= 500) {
    if (style === 'kudo' || style === 'kaizala') {
      return messageError(
        status,
        status === 503 ? 'Service unavailable' : 'Internal error',
        code,
        errorHeaders(error),
      )
    }
    return problem(error)
  }
  if (style === 'kudo') {
    const message =
      (error instanceof AuthError ? error.message : undefined) ?? KUDO_MESSAGES[code] ?? 'Forbidden'
    return messageError(403, message, code, errorHeaders(error))
  }
  if (style === 'kaizala') {
    return messageError(401, KAIZALA_MESSAGES[code] ?? 'Unauthorized', code, errorHeaders(error))
  }
  if (style === 'oauth') {
    const oauth = OAUTH_ERRORS[code]
    return problem(error, {
      ...memberExtensions(error),
      ...(oauth === undefined ? {} : { error: oauth }),
    })
  }
  return problem(error, memberExtensions(error))
}

/**
 * Creates the token service handler.
 *
 * @example
 * ```ts
 * const handler = createTokenService({ store, issuer: 'https://tokens.example', masterKey })
 * export default { fetch: handler }              // Workers, Bun, Deno
 * // or on Node: serveTokenService(handler, { port: 8080 }) from '@countersign/tokens/node'
 * ```
 *
 * @throws `TypeError` when options are missing (a store, an issuer, or a master key for the
 *   default components).
 */
export function createTokenService(options: TokenServiceOptions): TokenServiceHandler {
  if (typeof options !== 'object' || options === null || typeof options.store !== 'object') {
    throw new TypeError('expected options.store to be a store')
  }
  const { store, issuer } = options
  const needsMasterKey =
    options.apiKeys === undefined ||
    (options.userTokens === undefined && options.signingKeys === undefined)
  if (needsMasterKey && options.masterKey === undefined) {
    throw new TypeError(
      'expected options.masterKey (it seals signing keys and API key secrets at rest)',
    )
  }
  const masterKey = options.masterKey
  const apiKeys =
    options.apiKeys ?? createApiKeys({ store, ...(masterKey === undefined ? {} : { masterKey }) })
  const parameterTokens = options.parameterTokens ?? createParameterTokens({ store })
  const userTokens =
    options.userTokens ??
    createUserTokens({
      issuer,
      store,
      keys:
        options.signingKeys ??
        createSigningKeys({ store, ...(masterKey === undefined ? {} : { masterKey }) }),
    })
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  const jwksMaxAge = options.jwksMaxAgeSeconds ?? 300
  const logger = options.logger

  // ---- request helpers -----------------------------------------------------------------

  const presentedKey = (request: Request): string | undefined => {
    const auth = request.headers.get('authorization')
    const header = request.headers.get('x-api-key')
    let bearer: string | undefined
    if (auth !== null) {
      const match = /^Bearer ([\x21-\x7e]+)$/i.exec(auth)
      if (match === null) {
        throw new AuthError('api_key_invalid', 'malformed Authorization header')
      }
      bearer = match[1]
    }
    if (bearer !== undefined && header !== null && bearer !== header) {
      throw malformed('conflicting Authorization and x-api-key headers')
    }
    return bearer ?? header ?? undefined
  }

  const authenticate = async (ctx: Context, scope: string, headerOnly = false): Promise<void> => {
    const key = headerOnly
      ? (ctx.request.headers.get('x-api-key') ?? undefined)
      : presentedKey(ctx.request)
    if (key === undefined || key.length === 0) {
      throw new AuthError('api_key_invalid', 'Missing API key')
    }
    const result = await apiKeys.verifyApiKey(key, { scope })
    if (result.id !== undefined) {
      ctx.caller = { ...result, id: result.id }
    }
    switch (result.code) {
      case 'VALID':
        return
      case 'FORBIDDEN':
        throw new AuthError('forbidden', `API key lacks the ${scope} scope`)
      case 'RATE_LIMITED':
        throw new RateLimitError(result.retryAfterMs ?? 1000, 'Rate limit exceeded')
      case 'DISABLED':
        throw new AuthError('api_key_invalid', 'API key disabled')
      case 'EXPIRED':
        throw new AuthError('api_key_invalid', 'API key expired')
      default:
        throw new AuthError('api_key_invalid', 'Wrong API key')
    }
  }

  const readJsonBody = async (request: Request): Promise<JsonValue> => {
    requireMediaType(request, 'application/json')
    const text = await readBodyText(request, maxBodyBytes, true)
    return parseJsonStrict(text)
  }

  const readJsonObject = async (request: Request): Promise<JsonObject> => {
    const value = await readJsonBody(request)
    if (!isJsonObject(value)) {
      throw new RequestError('invalid_json', 'expected a JSON object')
    }
    return value
  }

  /** An optional JSON object body: empty body → `{}`. */
  const readOptionalJsonObject = async (request: Request): Promise<JsonObject> => {
    const length = request.headers.get('content-length')
    if (request.body === null || length === '0') {
      return {}
    }
    if (request.headers.get('content-type') === null) {
      const text = await readBodyText(request, maxBodyBytes, true)
      if (text.length === 0) {
        return {}
      }
      throw new RequestError('unsupported_media_type', 'Content-Type must be application/json')
    }
    requireMediaType(request, 'application/json')
    const text = await readBodyText(request, maxBodyBytes, true)
    if (text.length === 0) {
      return {}
    }
    const value = parseJsonStrict(text)
    if (!isJsonObject(value)) {
      throw new RequestError('invalid_json', 'expected a JSON object')
    }
    return value
  }

  const readForm = async (request: Request): Promise<URLSearchParams> => {
    requireMediaType(request, 'application/x-www-form-urlencoded')
    const text = await readBodyText(request, maxBodyBytes)
    if (!/^[A-Za-z0-9%+=&._~*-]*$/.test(text)) {
      throw malformed('malformed form body')
    }
    try {
      // Validate the percent-encoding strictly before URLSearchParams (which is lenient).
      for (const part of text.split('&')) {
        decodeURIComponent(part.replaceAll('+', ' '))
      }
    } catch {
      throw malformed('malformed form body')
    }
    return new URLSearchParams(text)
  }

  const formToken = (form: URLSearchParams): string => {
    const tokens = form.getAll('token')
    if (tokens.length !== 1 || tokens[0] === undefined || tokens[0].length === 0) {
      throw malformed(tokens.length > 1 ? 'duplicate token parameter' : 'missing token parameter')
    }
    if (form.getAll('token_type_hint').length > 1) {
      throw malformed('duplicate token_type_hint parameter')
    }
    return tokens[0]
  }

  /**
   * Runs a library call whose `TypeError`/`RangeError` means the caller's input was bad; a
   * message naming one of the body's `members` becomes a {@link MemberError} for it.
   */
  const asBadInput = async <T>(
    operation: () => Promise<T>,
    members: readonly string[] = [],
  ): Promise<T> => {
    try {
      return await operation()
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        throw badInput(error, members)
      }
      throw error
    }
  }

  // ---- routes --------------------------------------------------------------------------

  const routes: Route[] = [
    {
      method: 'POST',
      path: '/generate',
      style: 'kudo',
      async handle(ctx) {
        await authenticate(ctx, TOKEN_SERVICE_SCOPES.generate, true)
        const params = await readJsonObject(ctx.request)
        const issued = await asBadInput(() =>
          parameterTokens.issue(params, { clientId: (ctx.caller as { id: string }).id }),
        )
        return json(200, {
          token: issued.token,
          expiration_time: Math.floor(issued.expiresAt.getTime() / 1000),
        })
      },
    },
    {
      method: 'GET',
      path: '/verify',
      style: 'kudo',
      async handle(ctx) {
        const token = ctx.request.headers.get('x-api-token')
        if (token === null || token.length === 0) {
          throw new TokenError('token_missing', 'Missing token')
        }
        return json(200, await parameterTokens.verify(token))
      },
    },
    {
      method: 'GET',
      path: '/v1/users/me',
      style: 'kaizala',
      async handle(ctx) {
        const token = ctx.request.headers.get('accesstoken')
        if (token === null || token.length === 0) {
          throw new TokenError('token_missing', 'Missing access token')
        }
        const { user, audience } = await userTokens.verifyUserToken(token)
        return json(200, {
          id: user.id,
          name: user.name ?? null,
          phoneNumber: user.phoneNumber ?? null,
          pictureUrl: user.pictureUrl ?? null,
          actionPackageId: audience[0] ?? null,
        })
      },
    },
    {
      method: 'POST',
      path: '/v1/user-tokens',
      style: 'problem',
      async handle(ctx) {
        await authenticate(ctx, TOKEN_SERVICE_SCOPES.issueUserTokens)
        const body = await readJsonObject(ctx.request)
        onlyMembers(body, USER_TOKEN_MEMBERS)
        const user = typedMember(body.user, ['user'], 'object')
        const audience = typedMember(body.audience, ['audience'], 'string')
        if (user === undefined || audience === undefined) {
          throw new MemberError([user === undefined ? 'user' : 'audience'], 'required')
        }
        const { ttl, format } = body
        let ttlValue: Duration | undefined
        if (typeof ttl === 'string') {
          ttlValue = ttl as Duration
          await asBadInput(async () => toMs(ttlValue as Duration, 'ttl'), ['ttl'])
        } else if (ttl !== undefined && ttl !== null) {
          if (typeof ttl !== 'number') {
            throw new MemberError(
              ['ttl'],
              'expected a positive number of seconds or a duration such as "30m"',
            )
          }
          ttlValue =
            (integerMember(ttl, ['ttl'], { min: 1, max: MAX_TTL_SECONDS }) as number) * 1000
        }
        if (format !== undefined && format !== 'jwt' && format !== 'opaque') {
          throw new MemberError(['format'], 'expected "jwt" or "opaque"')
        }
        const scope = typedMember(body.scope, ['scope'], 'string')
        const issued = await asBadInput(
          () =>
            userTokens.issueUserToken({
              user: user as { id: string },
              audience,
              clientId: (ctx.caller as { id: string }).id,
              ...(ttlValue === undefined ? {} : { ttl: ttlValue }),
              ...(format === undefined ? {} : { format }),
              ...(scope === undefined ? {} : { scope }),
            }),
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
      method: 'POST',
      path: '/oauth/introspect',
      style: 'oauth',
      async handle(ctx) {
        await authenticate(ctx, TOKEN_SERVICE_SCOPES.introspect)
        const token = formToken(await readForm(ctx.request))
        if (parameterTokens.isParameterToken(token)) {
          try {
            const info = await parameterTokens.inspect(token)
            return json(200, {
              active: true,
              token_type: 'parameter_token',
              exp: Math.floor(info.expiresAt.getTime() / 1000),
              iat: Math.floor(info.issuedAt.getTime() / 1000),
              ...(info.clientId === undefined ? {} : { client_id: info.clientId }),
            })
          } catch (error) {
            if (error instanceof TokenError) {
              return json(200, { active: false })
            }
            throw error
          }
        }
        return json(200, await userTokens.introspect(token))
      },
    },
    {
      method: 'POST',
      path: '/oauth/revoke',
      style: 'oauth',
      async handle(ctx) {
        await authenticate(ctx, TOKEN_SERVICE_SCOPES.revoke)
        const token = formToken(await readForm(ctx.request))
        const caller = ctx.caller as VerifyApiKeyResult & { id: string }
        const restrict =
          caller.scopes?.includes(TOKEN_SERVICE_SCOPES.admin) === true
            ? {}
            : { clientId: caller.id }
        if (parameterTokens.isParameterToken(token)) {
          await parameterTokens.revoke(token, restrict)
        } else {
          await userTokens.revoke(token, restrict)
        }
        return empty(200)
      },
    },
    {
      method: 'GET',
      path: '/.well-known/jwks.json',
      style: 'problem',
      async handle() {
        const jwks = await userTokens.jwks()
        return new Response(JSON.stringify(jwks), {
          status: 200,
          headers: {
            'content-type': 'application/jwk-set+json',
            'cache-control': `public, max-age=${jwksMaxAge}`,
            'x-content-type-options': 'nosniff',
          },
        })
      },
    },
    {
      method: 'POST',
      path: '/admin/api-keys',
      style: 'problem',
      async handle(ctx) {
        await authenticate(ctx, TOKEN_SERVICE_SCOPES.admin)
        const body = await readJsonObject(ctx.request)
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
        const rateLimitBody = typedMember(body.rateLimit, ['rateLimit'], 'object')
        let rateLimit: RateLimit | undefined
        if (rateLimitBody !== undefined) {
          onlyMembers(rateLimitBody, ['limit', 'windowMs'], ['rateLimit'])
          const limit = integerMember(rateLimitBody.limit, ['rateLimit', 'limit'], RATE_LIMIT_RANGE)
          const windowMs = integerMember(
            rateLimitBody.windowMs,
            ['rateLimit', 'windowMs'],
            RATE_WINDOW_RANGE,
          )
          if (limit === undefined || windowMs === undefined) {
            throw new MemberError(
              ['rateLimit', limit === undefined ? 'limit' : 'windowMs'],
              'required',
            )
          }
          rateLimit = { limit, windowMs }
        }
        const withSecret = typedMember(body.withSecret, ['withSecret'], 'boolean')
        const created = await asBadInput(
          () =>
            apiKeys.createApiKey({
              name,
              ...(scopes === undefined ? {} : { scopes: scopes as string[] }),
              ...(expires === undefined ? {} : { expiresAt: expires }),
              ...(meta === undefined ? {} : { meta }),
              ...(rateLimit === undefined ? {} : { rateLimit }),
              ...(withSecret === undefined ? {} : { withSecret }),
            }),
          CREATE_KEY_MEMBERS,
        )
        return json(201, created)
      },
    },
    {
      method: 'GET',
      path: '/admin/api-keys',
      style: 'problem',
      async handle(ctx) {
        await authenticate(ctx, TOKEN_SERVICE_SCOPES.admin)
        return json(200, { keys: await apiKeys.list() })
      },
    },
    {
      method: 'GET',
      path: '/admin/api-keys/:id',
      style: 'problem',
      async handle(ctx) {
        await authenticate(ctx, TOKEN_SERVICE_SCOPES.admin)
        const info = await apiKeys.get(ctx.params.id as string)
        if (info === undefined) {
          throw new RequestError('not_found', 'no such API key')
        }
        return json(200, info)
      },
    },
    {
      method: 'DELETE',
      path: '/admin/api-keys/:id',
      style: 'problem',
      async handle(ctx) {
        await authenticate(ctx, TOKEN_SERVICE_SCOPES.admin)
        if (!(await apiKeys.delete(ctx.params.id as string))) {
          throw new RequestError('not_found', 'no such API key')
        }
        return empty(204)
      },
    },
    ...(['disable', 'enable'] as const).map(
      (action): Route => ({
        method: 'POST',
        path: `/admin/api-keys/:id/${action}`,
        style: 'problem',
        async handle(ctx) {
          await authenticate(ctx, TOKEN_SERVICE_SCOPES.admin)
          onlyMembers(await readOptionalJsonObject(ctx.request), [])
          const id = ctx.params.id as string
          const found = action === 'disable' ? await apiKeys.disable(id) : await apiKeys.enable(id)
          if (!found) {
            throw new RequestError('not_found', 'no such API key')
          }
          return json(200, { id, disabled: action === 'disable' })
        },
      }),
    ),
    {
      method: 'POST',
      path: '/admin/api-keys/:id/reroll',
      style: 'problem',
      async handle(ctx) {
        await authenticate(ctx, TOKEN_SERVICE_SCOPES.admin)
        const body = await readOptionalJsonObject(ctx.request)
        onlyMembers(body, REROLL_MEMBERS)
        const gracePeriodMs = integerMember(body.gracePeriodMs, ['gracePeriodMs'], {
          min: 0,
          max: MAX_GRACE_PERIOD_MS,
        })
        const rerollSecret = typedMember(body.rerollSecret, ['rerollSecret'], 'boolean')
        const rerolled = await asBadInput(
          () =>
            apiKeys.reroll(ctx.params.id as string, {
              ...(gracePeriodMs === undefined ? {} : { gracePeriodMs }),
              ...(rerollSecret === undefined ? {} : { rerollSecret }),
            }),
          REROLL_MEMBERS,
        )
        if (rerolled === undefined) {
          throw new RequestError('not_found', 'no such API key')
        }
        return json(200, rerolled)
      },
    },
  ]

  const match = (
    pathname: string,
  ): { candidates: Array<{ route: Route; params: Record<string, string> }>; style: Style } => {
    const candidates: Array<{ route: Route; params: Record<string, string> }> = []
    const segments = pathname.split('/')
    for (const route of routes) {
      if (!route.path.includes(':')) {
        if (route.path === pathname) {
          candidates.push({ route, params: {} })
        }
        continue
      }
      const pattern = route.path.split('/')
      if (pattern.length !== segments.length) {
        continue
      }
      const params: Record<string, string> = {}
      let ok = true
      for (let i = 0; i < pattern.length; i++) {
        const p = pattern[i] as string
        const s = segments[i] as string
        if (p.startsWith(':')) {
          if (!KEY_ID.test(s)) {
            ok = false
            break
          }
          params[p.slice(1)] = s
        } else if (p !== s) {
          ok = false
          break
        }
      }
      if (ok) {
        candidates.push({ route, params })
      }
    }
    return { candidates, style: candidates[0]?.route.style ?? 'problem' }
  }

  const log = (event: TokenServiceLogEvent): void => {
    if (logger === undefined) {
      return
    }
    try {
      logger(event)
    } catch {
      // A logger must not break a response.
    }
  }

  return async (request) => {
    const started = performance.now()
    let routeName = 'unmatched'
    let style: Style = 'problem'
    const ctx: Context = { request, url: new URL('http://invalid/'), params: {} }
    let response: Response
    let failure: unknown
    try {
      if (!(request instanceof Request)) {
        throw new TypeError('expected a Request')
      }
      ctx.url = new URL(request.url)
      const found = match(ctx.url.pathname)
      style = found.style
      const method = request.method.toUpperCase()
      const hit = found.candidates.find((c) => c.route.method === method)
      if (found.candidates.length === 0) {
        throw new RequestError('not_found', 'no such route')
      }
      if (hit === undefined) {
        const allow = [...new Set(found.candidates.map((c) => c.route.method))].join(', ')
        const error = new RequestError('method_not_allowed', `use ${allow}`)
        failure = error
        response = errorResponse(style, error)
        response.headers.set('allow', allow)
        routeName = `${method} ${found.candidates[0]?.route.path ?? ''}`
      } else {
        routeName = `${hit.route.method} ${hit.route.path}`
        ctx.params = hit.params
        response = await hit.route.handle(ctx)
      }
    } catch (error) {
      failure = error
      response = errorResponse(style, error)
    }
    const { code } = failure === undefined ? { code: undefined } : classify(failure)
    log({
      route: routeName,
      status: response.status,
      ...(code === undefined ? {} : { code }),
      ...(ctx.caller === undefined ? {} : { keyId: ctx.caller.id }),
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    })
    return response
  }
}
