/**
 * Signing keys for user tokens that rotate on a fixed schedule, with an overlap window in which
 * the previous (and the next) public key stay in the JWKS, so that verifiers with a cached JWKS
 * never see an unknown `kid`.
 *
 * Time is cut into slots of `rotateEveryMs`; slot `n` (`n = floor(now / rotateEveryMs)`) has its
 * own key, which signs during the slot and is published from `overlapMs` before the slot starts
 * until `overlapMs` after it ends. With a store, the private keys are sealed with AES-256-GCM
 * under the master key and shared by every instance (the first instance to write a slot wins),
 * so instances behind a load balancer and restarts agree on the keys.
 *
 * @module
 */
import type { Jwks, Key, KeyValueStore } from '@countersign/core'
import { MAX_DURATION_MS } from './internal/duration.ts'
import { createRotationClock } from './internal/rotation-clock.ts'
import { importMasterKey, type MasterKeyInput } from './internal/seal.ts'
import { createSlotKeys, publishedSlots } from './internal/signing-key-slots.ts'

/** Algorithms that can sign user tokens. */
export type SigningAlgorithm = 'ed25519' | 'ecdsa-p256-sha256'

/** Options for {@link createSigningKeys}. */
export interface SigningKeysOptions {
  /** Key algorithm: `ed25519` (JWS `EdDSA`, the default) or `ecdsa-p256-sha256` (`ES256`). */
  algorithm?: SigningAlgorithm
  /** How often a new key takes over signing. Default 7 days. */
  rotateEveryMs?: number
  /**
   * How long before its slot a key is published, and how long after its slot it stays in the
   * JWKS. Must be at least the longest token lifetime plus the JWKS cache age. Default 1 day.
   */
  overlapMs?: number
  /** Share keys across instances and restarts. Without a store, keys live in this process only. */
  store?: KeyValueStore
  /** 32-byte master key (raw or base64url) sealing private keys at rest. Required with `store`. */
  masterKey?: MasterKeyInput
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
}

/** A rotating set of signing keys. Create with {@link createSigningKeys}. */
export interface SigningKeys {
  /** The key algorithm. */
  readonly algorithm: SigningAlgorithm
  /** The rotation period in milliseconds. */
  readonly rotateEveryMs: number
  /** The publication overlap in milliseconds. */
  readonly overlapMs: number
  /**
   * The private key to sign with now (the current slot's key, created on first use).
   *
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  current(): Promise<Key>
  /**
   * The key with this `kid` if it is published now (for verification), else `undefined`.
   *
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  get(kid: string): Promise<Key | undefined>
  /**
   * The public JWKS: the current key, the previous ones still inside the overlap, and the next
   * one once its publication has begun. Never holds private members.
   *
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  jwks(): Promise<Jwks>
  /**
   * Rotates now: the next slot starts at once, so the next key signs from now on and the key
   * that was current is published for `overlapMs` more (tokens it signed keep verifying). With a
   * store the shift is shared, and other instances follow within 5 seconds (until then they
   * sign with the previous key, which stays published). Returns the new current key.
   *
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  rotate(): Promise<Key>
  /**
   * When the next key takes over on schedule (later after a {@link SigningKeys.rotate}).
   *
   * @throws `StoreError` `store_unavailable` when the store fails.
   */
  nextRotationAt(): Promise<Date>
}

const DAY = 86_400_000

function assertPositiveMs(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`expected ${name} to be a positive whole number of milliseconds`)
  }
  if (value > MAX_DURATION_MS) {
    throw new RangeError(`expected ${name} to be at most 36500 days (100 years)`)
  }
  return value
}

/**
 * Creates a rotating set of signing keys.
 *
 * @example
 * ```ts
 * const keys = createSigningKeys({ rotateEveryMs: 7 * 86_400_000, overlapMs: 86_400_000 })
 * const jwks = await keys.jwks() // serve at /.well-known/jwks.json
 * ```
 *
 * @throws `TypeError` when an option is invalid, or a store is given without a master key.
 */
export function createSigningKeys(options: SigningKeysOptions = {}): SigningKeys {
  const algorithm = options.algorithm ?? 'ed25519'
  if (algorithm !== 'ed25519' && algorithm !== 'ecdsa-p256-sha256') {
    throw new TypeError(
      `expected algorithm to be 'ed25519' or 'ecdsa-p256-sha256', got ${String(algorithm)}`,
    )
  }
  const rotateEveryMs = assertPositiveMs(options.rotateEveryMs ?? 7 * DAY, 'rotateEveryMs')
  const overlapMs = assertPositiveMs(options.overlapMs ?? DAY, 'overlapMs')
  const now = options.now ?? Date.now
  const store = options.store
  if (store !== undefined && options.masterKey === undefined) {
    throw new TypeError('expected masterKey: it seals the private signing keys kept in the store')
  }
  const masterKey = options.masterKey === undefined ? undefined : importMasterKey(options.masterKey)
  // Avoid an unhandled rejection before first use; the error surfaces on use.
  masterKey?.catch(() => {})

  const clock = createRotationClock(algorithm, store, now)
  const slots = createSlotKeys({
    algorithm,
    rotateEveryMs,
    overlapMs,
    store,
    masterKey,
    now: clock.peek,
  })
  const published = (t: number) => publishedSlots(t, rotateEveryMs, overlapMs)
  const prune = (t: number): void => slots.prune(new Set(published(t).map((s) => s.slot)))

  const signingKeys: SigningKeys = {
    algorithm,
    rotateEveryMs,
    overlapMs,

    async current() {
      const t = await clock.read()
      const slot = Math.floor(t / rotateEveryMs)
      const entry = await slots.slotKey(slot, true)
      if (entry === undefined) {
        throw new TypeError('no signing key')
      }
      if (slots.size > 4) {
        prune(t)
      }
      return entry.key
    },

    async get(kid) {
      const live = published(await clock.read())
      for (const { slot } of live) {
        const cached = slots.cached(slot)
        if (cached !== undefined && cached.key.keyId === kid) {
          return cached.key
        }
      }
      for (const { slot } of live) {
        if (slots.cached(slot) !== undefined) {
          continue
        }
        const entry = await slots.slotKey(slot, false)
        if (entry !== undefined && entry.key.keyId === kid) {
          return entry.key
        }
      }
      return undefined
    },

    async jwks() {
      const t = await clock.read()
      const keys: Jwks['keys'] = []
      for (const { slot, create } of published(t)) {
        const entry = await slots.slotKey(slot, create)
        const jwk = entry?.key.publicJwk()
        if (entry !== undefined && jwk !== undefined) {
          keys.push({ ...jwk, kid: entry.key.keyId })
        }
      }
      prune(t)
      return { keys }
    },

    async rotate() {
      const t = await clock.read()
      await clock.advance((Math.floor(t / rotateEveryMs) + 1) * rotateEveryMs - t)
      return signingKeys.current()
    },

    async nextRotationAt() {
      const t = await clock.read()
      return new Date(now() + (Math.floor(t / rotateEveryMs) + 1) * rotateEveryMs - t)
    },
  }
  return signingKeys
}
