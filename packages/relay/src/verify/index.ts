/**
 * Verify requests forwarded by the Countersign relay, on the API that receives them.
 *
 * This entry point only re-exports `@countersign/verifier`, where relay verification now lives:
 * an API that only verifies should depend on `@countersign/verifier` and not on the relay.
 *
 * @deprecated Import these from `@countersign/verifier` instead.
 * @module
 */
export type {
  RelayKeyResolver,
  RelayKeyResolverOptions,
  RelayVerifier,
  VerifiedRelayRequest,
  VerifyRelayCallOptions,
  VerifyRelayRequestOptions,
} from '@countersign/verifier'
export {
  createRelayKeyResolver,
  createRelayVerifier,
  RELAY_COMPONENTS,
  RELAY_SIGNATURE_TAG,
  verifyRelayRequest,
} from '@countersign/verifier'
