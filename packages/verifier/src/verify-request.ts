/**
 * One-shot request verification.
 *
 * @module
 */
import { type ConsumeOnceStore, createMemoryStore } from '@countersign/core'
import { compilePolicy, verifierFor } from './create-verifier.ts'
import type { VerifiedRequest, Verifier, VerifyRequestOptions } from './types.ts'

let sharedStore: ConsumeOnceStore | undefined
const compiled = new WeakMap<VerifyRequestOptions, Verifier>()

/**
 * Verifies an RFC 9421 signed request: picks the first signature that meets the policy (or the
 * one labelled `label`), resolves its key by `keyid` (the algorithm comes from the key; an `alg`
 * parameter must agree), checks `created`/`expires` against the window, rebuilds the signature
 * base and verifies it, recomputes `Content-Digest` over the received bytes, and only then
 * consumes the nonce. Returns what was proved, with the body bytes (the request's stream has
 * been read).
 *
 * Options are compiled once per options object. Without `nonceStore`, one-shot calls share one
 * in-memory store per process; prefer {@link createVerifier}.
 *
 * @example
 * ```ts
 * const verified = await verifyRequest(request, { keys: (keyId) => keys.get(keyId) })
 * const order = JSON.parse(new TextDecoder().decode(verified.body))
 * ```
 *
 * @throws SignatureError `signature_missing`, `signature_invalid`, `signature_expired`,
 *   `component_missing`, `digest_missing`, `digest_mismatch`, `replayed`, `key_unknown`,
 *   `algorithm_mismatch` (401); RequestError `malformed`, `duplicate_header`,
 *   `component_unsupported` (400), `body_too_large` (413); StoreError `store_unavailable` (503)
 *   when the nonce store or key resolver fails; `TypeError` for invalid options.
 */
export async function verifyRequest(
  request: Request,
  options: VerifyRequestOptions,
): Promise<VerifiedRequest> {
  return verifierForOptions(options).verifyRequest(request)
}

/** The verifier compiled for a one-shot options object (compiled on first use). */
export function verifierForOptions(options: VerifyRequestOptions): Verifier {
  let verifier = typeof options === 'object' && options !== null ? compiled.get(options) : undefined
  if (verifier === undefined) {
    verifier = verifierFor(
      compilePolicy(options, () => {
        sharedStore ??= createMemoryStore()
        return sharedStore
      }),
    )
    compiled.set(options, verifier)
  }
  return verifier
}
