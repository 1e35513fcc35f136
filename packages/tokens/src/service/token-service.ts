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
 * Each route group (one file each: Kudo, Kaizala, user tokens and JWKS, OAuth, admin) answers
 * errors in one style; every other answer is RFC 9457 `application/problem+json` with a stable `code`.
 *
 * @module
 */
import type { Store } from '@countersign/core'
import { type ApiKeys, createApiKeys } from '../api-keys.ts'
import type { MasterKeyInput } from '../internal/seal.ts'
import { createParameterTokens, type ParameterTokens } from '../parameter-tokens.ts'
import { createSigningKeys, type SigningKeys } from '../signing-keys.ts'
import { createUserTokens, type UserTokens } from '../user-tokens.ts'
import { adminRoutes } from './admin-routes.ts'
import { createRouter, type TokenServiceLogEvent } from './create-router.ts'
import { kaizalaRoutes } from './kaizala-routes.ts'
import { kudoRoutes } from './kudo-routes.ts'
import { oauthRoutes } from './oauth-routes.ts'
import type { ServiceParts } from './route.ts'
import { userTokenRoutes } from './user-token-routes.ts'

export type { TokenServiceLogEvent } from './create-router.ts'
export { TOKEN_SERVICE_SCOPES } from './scopes.ts'

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
  const parts: ServiceParts = {
    apiKeys,
    parameterTokens,
    userTokens,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    jwksMaxAgeSeconds: options.jwksMaxAgeSeconds ?? 300,
  }
  return createRouter(
    [
      kudoRoutes(parts),
      kaizalaRoutes(parts),
      userTokenRoutes(parts),
      oauthRoutes(parts),
      adminRoutes(parts),
    ],
    options.logger,
  )
}
