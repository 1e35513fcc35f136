/**
 * Verify signed HTTP requests: RFC 9421 signatures, RFC 9530 `Content-Digest`, the time window
 * and single-use nonces, plus the Icypeas and API-key compatibility presets, and requests
 * forwarded by the Countersign relay (`verifyRelayRequest`). Web APIs only.
 *
 * @module
 */
export type { AcceptSignatureOptions } from './accept-signature-header.ts'
export { acceptSignatureHeader } from './accept-signature-header.ts'
export {
  createVerifier,
  DEFAULT_REQUIRED_COMPONENTS,
  MAX_SIGNATURE_FIELD_LENGTH,
} from './create-verifier.ts'
export type { RelayKeyResolver, RelayKeyResolverOptions } from './relay/remote-keys.ts'
export { createRelayKeyResolver } from './relay/remote-keys.ts'
export type {
  RelayVerifier,
  VerifiedRelayRequest,
  VerifyRelayCallOptions,
  VerifyRelayRequestOptions,
} from './relay/verify-relay-request.ts'
export {
  createRelayVerifier,
  RELAY_COMPONENTS,
  RELAY_SIGNATURE_TAG,
  verifyRelayRequest,
} from './relay/verify-relay-request.ts'
export type {
  KeyResolver,
  ReceivedRequest,
  VerifiedRequest,
  Verifier,
  VerifyCallOptions,
  VerifyRequestOptions,
} from './types.ts'
export type {
  ApiKeyRecord,
  VerifiedApiKey,
  VerifyApiKeyOptions,
  VerifyApiKeyRequestOptions,
} from './verify-api-key.ts'
export { verifyApiKey, verifyApiKeyRequest } from './verify-api-key.ts'
export type { VerifiedIcypeasRequest, VerifyIcypeasOptions } from './verify-icypeas.ts'
export { ICYPEAS_TIMESTAMP, verifyIcypeas } from './verify-icypeas.ts'
export { verifyMessage } from './verify-message.ts'
export { verifyRequest } from './verify-request.ts'
