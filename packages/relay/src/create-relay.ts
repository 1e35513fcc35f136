/**
 * The relay handler: authenticate the end user, check the requested URL against the registered
 * targets, sign a `{ user, data, request }` envelope with RFC 9421 and forward it over the
 * SSRF-guarded agent, then answer with what the target said. This module only wires the
 * stages in `./stages/` (routes, authentication, reading the request, target matching, the
 * envelope, signing, forwarding, rate limits, audit) into one Web-standard handler; Node
 * serves it with `@countersign/node-server`.
 *
 * @module
 */
import { createKeyRing, createMemoryStore, type KeyRing } from '@countersign/core'
import { createRelayAuthenticator } from './auth/create-authenticator.ts'
import { snapshotRelayOptions } from './config/snapshot-relay-options.ts'
import { checkRelayOptions } from './config/validate-relay-config.ts'
import { problemResponse } from './internal/http.ts'
import { toResponse } from './internal/relay-answer.ts'
import { createSignWorker } from './internal/sign-worker.ts'
import { compileTarget } from './stages/compile-target.ts'
import type { RelayContext } from './stages/relay-context.ts'
import { routeRequest } from './stages/route-request.ts'
import { createTargetMatcher } from './targets/match-target.ts'
import type { RelayHandler, RelayOptions } from './types.ts'

const DEFAULTS = {
  maxRequestBytes: 64 * 1024,
  maxJsonDepth: 32,
  maxBatchSize: 10,
  signatureTtlSeconds: 60,
  batchConcurrency: 4,
}

function toKeyRing(keys: RelayOptions['keys']): KeyRing | undefined {
  if (keys === undefined) {
    return undefined
  }
  return Array.isArray(keys) ? createKeyRing(keys) : (keys as KeyRing)
}

/**
 * Creates the relay: a Web-standard handler `(request) => Promise<Response>` with these routes.
 *
 * | Route | Answer |
 * | --- | --- |
 * | `POST /secure-request` | JSON `{ url, data }`: the target's status, content type and body. A JSON array of them (a batch): `200` with an array of `{ status, body }` in the same order, where `body` is the target's JSON (or text) or the relay's problem object for that item. |
 * | `OPTIONS /secure-request` | CORS preflight, when `cors` is configured |
 * | `GET /.well-known/jwks.json` | the public keys of the relay's key ring (all that still verify, so rotation overlaps) |
 * | `GET /healthz` | `{ "status": "ok" }` |
 *
 * Every relay failure is RFC 9457 `application/problem+json` with a stable `code`:
 * `not_logged_in` 401, `unsupported_media_type` 415, `body_too_large` 413, `invalid_json`
 * and `malformed` 400, `target_forbidden` 403, `rate_limited` 429 (with `RateLimit-Policy`,
 * `RateLimit` and `Retry-After`), `upstream_unreachable` 502, `upstream_error` 502 (including
 * any 3xx: redirects are never followed), `upstream_too_large` 502, `upstream_timeout` 504,
 * `store_unavailable` 503.
 *
 * The target receives `POST` with `Content-Type: application/json`, `Content-Digest`, and an
 * RFC 9421 signature tagged `countersign-relay` over `@method`, `@target-uri`,
 * `content-digest` and `content-type` (with `created`, `expires`, `nonce`, `keyid`), and the
 * body `{ "user": { "user_id", …claims }, "data", "request": { "id", "time" } }` (plus
 * `api_key` for `skapiCompat` targets). None of the caller's headers are forwarded. Verify it
 * with `verifyRelayRequest` from `@countersign/verifier`.
 *
 * @example
 * ```ts
 * const relay = createRelay({
 *   keys: [relayKey],
 *   auth: { type: 'countersign', issuer: 'https://tokens.example', audience: 'my-app', jwksUrl },
 *   targets: [{ id: 'orders', baseUrl: 'https://api.example.com/v1' }],
 *   rateLimit: { perUser: { limit: 60, windowMs: 60_000 } },
 * })
 * const response = await relay(request)
 * ```
 *
 * @throws {@link RelayConfigError} (a `TypeError`) listing every problem with `options`.
 */
export function createRelay(input: RelayOptions): RelayHandler {
  // Read once: what is validated is what runs, whatever the caller does with `input` later.
  const options = snapshotRelayOptions(input)
  checkRelayOptions(options)
  const ring = toKeyRing(options.keys)
  const ttl = options.signatureTtlSeconds ?? DEFAULTS.signatureTtlSeconds
  const signWorker = createSignWorker()
  const targets = options.targets.map((target) =>
    compileTarget(target, ring, options, ttl, signWorker),
  )
  const context: RelayContext = {
    ring,
    targets,
    matcher: createTargetMatcher(targets),
    // Token signatures are checked on the signing worker too (decision 26; bench
    // `relay/forward (loopback)`, row `relay Ed25519, no token cache`).
    auth: createRelayAuthenticator(options.auth, signWorker.verify, options.onTokenCache),
    store: options.store ?? createMemoryStore(),
    rateLimit: options.rateLimit,
    audit: options.audit,
    cors: options.cors,
    allowedOrigins: new Set(options.cors?.allowedOrigins ?? []),
    maxRequestBytes: options.maxRequestBytes ?? DEFAULTS.maxRequestBytes,
    maxJsonDepth: options.maxJsonDepth ?? DEFAULTS.maxJsonDepth,
    maxBatchSize: options.maxBatchSize ?? DEFAULTS.maxBatchSize,
    batchConcurrency: DEFAULTS.batchConcurrency,
  }
  const handler = (async (request: Request): Promise<Response> => {
    try {
      if (!(request instanceof Request)) {
        throw new TypeError('the relay handles Request objects')
      }
      return toResponse(await routeRequest(context, request))
    } catch (error) {
      return problemResponse(error)
    }
  }) as RelayHandler
  handler.close = async () => {
    await Promise.all([...targets.map((target) => target.agent.close()), signWorker.close()])
  }
  return handler
}
