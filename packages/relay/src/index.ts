/**
 * The Countersign relay: authenticates a logged-in user, checks the requested URL against
 * registered targets, and forwards `{ user, data }` signed with RFC 9421 over an SSRF-guarded
 * connection. A Web-standard handler for Node (it connects with undici); the `node:http`
 * server and CLI are at `@countersign/relay/node`; the API-side verifier is
 * `verifyRelayRequest` in `@countersign/verifier` (re-exported at `@countersign/relay/verify`).
 *
 * @module
 */

export { RELAY_COMPONENTS, RELAY_SIGNATURE_TAG } from '@countersign/verifier'
export type { TextWritable } from './audit.ts'
export { jsonLinesSink } from './audit.ts'
export type { Authenticator } from './auth/create-authenticator.ts'
export { createAuthenticator } from './auth/create-authenticator.ts'
export type {
  RelayConfigIssue,
  RelayFileAuth,
  RelayFileConfig,
  RelayFileKey,
  RelayFileTarget,
  SecretRef,
} from './config/validate-relay-config.ts'
export { RelayConfigError, validateRelayConfig } from './config/validate-relay-config.ts'
export { createRelay } from './create-relay.ts'
export type {
  AddressClassification,
  AddressPolicy,
  AddressRange,
} from './ssrf/classify-address.ts'
export { classifyAddress, isAddressAllowed, isRangeAllowed } from './ssrf/classify-address.ts'
export type {
  GuardedAgentOptions,
  GuardedLookupOptions,
  HostResolver,
  ResolvedAddress,
} from './ssrf/guarded-agent.ts'
export {
  createGuardedAgent,
  createGuardedConnector,
  createGuardedLookup,
  resolveAllowed,
  systemResolver,
} from './ssrf/guarded-agent.ts'
export type { InvalidHost, IpHost, NameHost, ParsedHost } from './ssrf/parse-host.ts'
export { hostRefusal, parseHost } from './ssrf/parse-host.ts'
export type { MatchableTarget, TargetMatcher } from './targets/match-target.ts'
export { createTargetMatcher } from './targets/match-target.ts'
export type {
  AuditSink,
  CountersignAuth,
  CustomAuth,
  IntrospectionAuth,
  OidcAuth,
  RateLimitRule,
  RelayAuditEvent,
  RelayAuth,
  RelayCors,
  RelayHandler,
  RelayOptions,
  RelayRateLimits,
  RelaySkapiCompat,
  RelayTarget,
  RelayTargetSigning,
  RelayTokenCache,
  RelayUser,
} from './types.ts'
