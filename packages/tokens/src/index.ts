/**
 * Countersign tokens: parameter tokens (Kudo-style reference tokens), user tokens (RFC 9068
 * JWTs or opaque), API keys with scopes, rate limits and HMAC secrets, rotating signing keys
 * with a JWKS, and a Web-standard HTTP token service. Every token and key is stored only as a
 * SHA-256 hash; payloads and secrets are sealed with AES-256-GCM.
 *
 * The Node server and CLI live at `@countersign/tokens/node`.
 *
 * @module
 */

/**
 * `createRemoteJwks` is core's: one cached remote JWKS for every JWT path. The algorithms a
 * verifier accepts (`verifyUserToken`: EdDSA and ES256) decide which of its keys are usable.
 */
export type { JsonObject, JsonValue, RemoteJwks, RemoteJwksOptions } from '@countersign/core'
export { createRemoteJwks } from '@countersign/core'
export type {
  ApiKeyCode,
  ApiKeyInfo,
  ApiKeyResolverOptions,
  ApiKeys,
  ApiKeysOptions,
  CreateApiKeyInput,
  CreatedApiKey,
  HmacKeyResolver,
  RateLimit,
  RateLimitState,
  RerollApiKeyOptions,
  VerifyApiKeyOptions,
  VerifyApiKeyResult,
} from './api-keys.ts'
export { API_KEY_PREFIX, API_KEY_SECRET_PREFIX, createApiKeys } from './api-keys.ts'
export type { Duration } from './internal/duration.ts'
export type { JwsKeyResolver } from './internal/jws.ts'
export type { MasterKeyInput } from './internal/seal.ts'
export type { KeySource, TokenUser } from './internal/user-claims.ts'
export { isUserTokenRevoked } from './internal/user-claims.ts'
export type { UserTokenFormat, VerifiedUserToken } from './internal/verify-user.ts'
export type {
  IssuedParameterToken,
  IssueParameterTokenOptions,
  ParameterTokenInfo,
  ParameterTokens,
  ParameterTokensOptions,
} from './parameter-tokens.ts'
export { createParameterTokens, PARAMETER_TOKEN_PREFIX } from './parameter-tokens.ts'
export type {
  TokenServiceHandler,
  TokenServiceLogEvent,
  TokenServiceOptions,
} from './service/token-service.ts'
export { createTokenService, TOKEN_SERVICE_SCOPES } from './service/token-service.ts'
export type { SigningAlgorithm, SigningKeys, SigningKeysOptions } from './signing-keys.ts'
export { createSigningKeys } from './signing-keys.ts'
export type {
  ActiveIntrospection,
  InactiveIntrospection,
  IntrospectionResponse,
  IssuedUserToken,
  IssueUserTokenInput,
  UserTokens,
  UserTokensOptions,
  UserTokenUser,
} from './user-tokens.ts'
export { createUserTokens, USER_TOKEN_PREFIX } from './user-tokens.ts'
export type { JwtAlgorithm, VerifiedJwt, VerifyJwtOptions } from './verify-jwt.ts'
export { verifyJwt } from './verify-jwt.ts'
export type { VerifyOffload, VerifyUserTokenOptions } from './verify-user-token.ts'
export { verifyUserToken } from './verify-user-token.ts'
