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
import {
  generateKeyPair,
  importKey,
  type Jwks,
  type Key,
  type KeyValueStore,
} from '@countersign/core'
import { MAX_DURATION_MS } from './internal/duration.ts'
import { importMasterKey, type MasterKeyInput, seal, unseal } from './internal/seal.ts'
import { guard, parseRecord } from './internal/store-guard.ts'

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

interface SlotKey {
  slot: number
  key: Key
}

const DAY = 86_400_000
const NEGATIVE_CACHE_MS = 5_000
/** How long an instance trusts its copy of the shared rotation shift. */
const SHIFT_CACHE_MS = 5_000

function assertPositiveMs(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`expected ${name} to be a positive whole number of milliseconds`)
  }
  if (value > MAX_DURATION_MS) {
    throw new RangeError(`expected ${name} to be at most 36500 days (100 years)`)
  }
  return value
}

/** Exports a fresh private JWK from Web Crypto (so it can be sealed and shared). */
async function generatePrivateJwk(algorithm: SigningAlgorithm): Promise<JsonWebKey> {
  const params =
    algorithm === 'ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' }
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey)
  const { kty, crv, x, y, d } = jwk
  return y === undefined ? { kty, crv, x, d } : { kty, crv, x, y, d }
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

  const cache = new Map<number, SlotKey>()
  const pending = new Map<number, Promise<SlotKey | undefined>>()
  const missing = new Map<number, number>()

  const storeKey = (slot: number): string => `cs:sk:${algorithm}:${slot}`
  const shiftKey = `cs:sk:${algorithm}:shift`
  /** How far "rotate now" has moved the key schedule ahead of the clock, in ms (only grows). */
  let shift = 0
  let shiftReadAt = Number.NEGATIVE_INFINITY

  /** The schedule's time: the clock plus the shared shift. */
  const clock = async (): Promise<number> => {
    if (store !== undefined && now() - shiftReadAt >= SHIFT_CACHE_MS) {
      const raw = await guard(() => store.get(shiftKey))
      shiftReadAt = now()
      const stored = raw === undefined ? 0 : Number(raw)
      if (Number.isSafeInteger(stored) && stored > shift) {
        shift = stored
      }
    }
    return now() + shift
  }

  const load = async (slot: number, create: boolean): Promise<SlotKey | undefined> => {
    if (store === undefined || masterKey === undefined) {
      if (!create) {
        return undefined
      }
      const { privateKey } = await generateKeyPair(algorithm)
      return { slot, key: privateKey }
    }
    const sealingKey = await masterKey
    const name = storeKey(slot)
    const read = async (): Promise<SlotKey | undefined> => {
      const record = parseRecord(await guard(() => store.get(name)))
      if (record === undefined || typeof record.jwk !== 'string') {
        return undefined
      }
      const json = await unseal(sealingKey, record.jwk, name)
      if (json === undefined) {
        throw new TypeError(`signing key ${name} does not decrypt: is the master key right?`)
      }
      const key = await importKey(JSON.parse(json) as JsonWebKey, { algorithm })
      return { slot, key }
    }
    const existing = await read()
    if (existing !== undefined || !create) {
      return existing
    }
    const jwk = await generatePrivateJwk(algorithm)
    const ttlMs = (slot + 1) * rotateEveryMs + overlapMs - (now() + shift) + rotateEveryMs
    const value = JSON.stringify({ v: 1, jwk: await seal(sealingKey, JSON.stringify(jwk), name) })
    const written = await guard(() =>
      store.set(name, value, { ttlMs: Math.max(ttlMs, 1000), ifAbsent: true }),
    )
    if (written) {
      return { slot, key: await importKey(jwk, { algorithm }) }
    }
    return read()
  }

  const slotKey = async (slot: number, create: boolean): Promise<SlotKey | undefined> => {
    const cached = cache.get(slot)
    if (cached !== undefined) {
      return cached
    }
    if (!create) {
      const until = missing.get(slot)
      if (until !== undefined && until > now()) {
        return undefined
      }
    }
    let inFlight = pending.get(slot)
    if (inFlight === undefined) {
      inFlight = load(slot, create).finally(() => pending.delete(slot))
      pending.set(slot, inFlight)
    }
    const result = await inFlight
    if (result === undefined && create) {
      // A concurrent read-only load finished first; create now.
      return slotKey(slot, true)
    }
    if (result === undefined) {
      missing.set(slot, now() + NEGATIVE_CACHE_MS)
    } else {
      cache.set(slot, result)
      missing.delete(slot)
    }
    return result
  }

  /** Slots whose keys are published at `t`, oldest first, and which of them must exist. */
  const publishedSlots = (t: number): Array<{ slot: number; create: boolean }> => {
    const current = Math.floor(t / rotateEveryMs)
    const out: Array<{ slot: number; create: boolean }> = []
    const first = Math.floor((t - overlapMs) / rotateEveryMs) - 1
    const last = Math.floor((t + overlapMs) / rotateEveryMs)
    for (let slot = first; slot <= last; slot++) {
      const from = slot * rotateEveryMs - overlapMs
      const until = (slot + 1) * rotateEveryMs + overlapMs
      if (t >= from && t < until) {
        out.push({ slot, create: slot >= current })
      }
    }
    return out
  }

  const prune = (t: number): void => {
    const live = new Set(publishedSlots(t).map((s) => s.slot))
    for (const slot of cache.keys()) {
      if (!live.has(slot)) {
        cache.delete(slot)
      }
    }
  }

  const signingKeys: SigningKeys = {
    algorithm,
    rotateEveryMs,
    overlapMs,

    async current() {
      const t = await clock()
      const slot = Math.floor(t / rotateEveryMs)
      const entry = await slotKey(slot, true)
      if (entry === undefined) {
        throw new TypeError('no signing key')
      }
      if (cache.size > 4) {
        prune(t)
      }
      return entry.key
    },

    async get(kid) {
      const slots = publishedSlots(await clock())
      for (const { slot } of slots) {
        const cached = cache.get(slot)
        if (cached !== undefined && cached.key.keyId === kid) {
          return cached.key
        }
      }
      for (const { slot } of slots) {
        if (cache.has(slot)) {
          continue
        }
        const entry = await slotKey(slot, false)
        if (entry !== undefined && entry.key.keyId === kid) {
          return entry.key
        }
      }
      return undefined
    },

    async jwks() {
      const t = await clock()
      const keys: Jwks['keys'] = []
      for (const { slot, create } of publishedSlots(t)) {
        const entry = await slotKey(slot, create)
        const jwk = entry?.key.publicJwk()
        if (entry !== undefined && jwk !== undefined) {
          keys.push({ ...jwk, kid: entry.key.keyId })
        }
      }
      prune(t)
      return { keys }
    },

    async rotate() {
      const t = await clock()
      shift += (Math.floor(t / rotateEveryMs) + 1) * rotateEveryMs - t
      if (store !== undefined) {
        await guard(() => store.set(shiftKey, String(shift)))
      }
      return signingKeys.current()
    },

    async nextRotationAt() {
      const t = await clock()
      return new Date(now() + (Math.floor(t / rotateEveryMs) + 1) * rotateEveryMs - t)
    },
  }
  return signingKeys
}
