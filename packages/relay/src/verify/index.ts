/**
 * Verify requests forwarded by the Countersign relay, on the API that receives them. Web APIs
 * only (Node, Deno, Bun, Workers).
 *
 * @module
 */
export type { RelayKeyResolver, RelayKeyResolverOptions } from './remote-keys.ts'
export { createRelayKeyResolver } from './remote-keys.ts'
export type {
  RelayVerifier,
  VerifiedRelayRequest,
  VerifyRelayCallOptions,
  VerifyRelayRequestOptions,
} from './verify-relay-request.ts'
export { createRelayVerifier, verifyRelayRequest } from './verify-relay-request.ts'
