/**
 * The Countersign client, for browsers, Node 22+, Deno, Bun and Workers (Web APIs only):
 * `secureRequest` through the relay as the logged-in user, a `fetch` that signs requests
 * (RFC 9421, or the Icypeas and API-key presets), sessions that refresh themselves before they
 * expire, and the token service's parameter tokens.
 *
 * @module
 */
export type { ClientErrorCode, ErrorCode } from '@countersign/core'
export { AuthError, ClientError, CountersignError, isCountersignError } from '@countersign/core'
export { ApiError } from './api-error.ts'
export { createClient } from './create-client.ts'
export { RelayError } from './relay-error.ts'
export type { ApiKeySigningOptions } from './signing/api-key-signing.ts'
export { apiKeySigning } from './signing/api-key-signing.ts'
export type { IcypeasSigningOptions } from './signing/icypeas-signing.ts'
export { icypeasSigning } from './signing/icypeas-signing.ts'
export type { Rfc9421SigningOptions } from './signing/rfc9421-signing.ts'
export { rfc9421Signing } from './signing/rfc9421-signing.ts'
export type {
  CallOptions,
  Client,
  ClientFetchInit,
  ClientOptions,
  FetchFunction,
  GeneratedToken,
  GenerateTokenOptions,
  RetryOptions,
  SecureBatchItem,
  SecureRequestInput,
  SecureRequestOptions,
  SecureResponse,
  Session,
  SessionInput,
  SessionProvider,
  Signing,
  SigningContext,
} from './types.ts'
