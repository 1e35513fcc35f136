/**
 * Per-user and per-target rate limits on a window-counter store, with the
 * draft-ietf-httpapi-ratelimit-headers fields (`RateLimit-Policy`, `RateLimit`) and
 * `Retry-After` on a refusal.
 *
 * @internal
 * @module
 */
import {
  digest,
  type HitResult,
  RateLimitError,
  serializeList,
  toBase64Url,
  utf8,
  type WindowCounterStore,
} from '@countersign/core'
import type { RateLimitRule, RelayRateLimits } from '../types.ts'

/** The outcome of {@link checkRateLimits}. */
export interface RateLimitOutcome {
  /** Headers to add to the answer (empty without rate limits). */
  headers: Record<string, string>
  /** Set when a limit refused the request. */
  error?: RateLimitError
}

const PLAIN_ID = /^[A-Za-z0-9._@:-]{1,128}$/

async function userKey(userId: string): Promise<string> {
  if (PLAIN_ID.test(userId)) {
    return `relay:rl:u:${userId}`
  }
  return `relay:rl:uh:${toBase64Url(await digest('sha-256', utf8(userId)))}`
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000))
}

function policyHeader(rules: Array<[string, RateLimitRule]>): string {
  return serializeList(
    rules.map(([name, rule]) => [
      name,
      new Map<string, number>([
        ['q', rule.limit],
        ['w', seconds(rule.windowMs)],
      ]),
    ]),
  )
}

function stateHeader(results: Array<[string, HitResult]>): string {
  return serializeList(
    results.map(([name, result]) => [
      name,
      new Map<string, number>([
        ['r', Math.max(0, result.remaining)],
        ['t', seconds(result.allowed ? result.resetMs : result.retryAfterMs)],
      ]),
    ]),
  )
}

/**
 * Counts one request against the user's and the target's limits (the user's first; a refused
 * hit is not counted).
 *
 * @throws {@link @countersign/core!StoreError} when the store fails (the request is refused: fail closed).
 */
export async function checkRateLimits(
  store: WindowCounterStore,
  limits: RelayRateLimits | undefined,
  userId: string,
  targetId: string,
): Promise<RateLimitOutcome> {
  const rules: Array<[string, RateLimitRule, string]> = []
  if (limits?.perUser !== undefined) {
    rules.push(['user', limits.perUser, await userKey(userId)])
  }
  if (limits?.perTarget !== undefined) {
    rules.push(['target', limits.perTarget, `relay:rl:t:${targetId}`])
  }
  if (rules.length === 0) {
    return { headers: {} }
  }
  const results: Array<[string, HitResult]> = []
  for (const [name, rule, key] of rules) {
    const result = await store.hit(key, { limit: rule.limit, windowMs: rule.windowMs })
    results.push([name, result])
    if (!result.allowed) {
      const headers = {
        'ratelimit-policy': policyHeader(rules.map(([n, r]) => [n, r])),
        ratelimit: stateHeader(results),
        'retry-after': String(Math.max(1, seconds(result.retryAfterMs))),
      }
      return {
        headers,
        error: new RateLimitError(
          result.retryAfterMs,
          name === 'user' ? 'too many requests for this user' : 'too many requests for this target',
        ),
      }
    }
  }
  return {
    headers: {
      'ratelimit-policy': policyHeader(rules.map(([n, r]) => [n, r])),
      ratelimit: stateHeader(results),
    },
  }
}
