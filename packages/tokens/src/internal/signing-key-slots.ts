/**
 * The keys of rotation slots: created on first use, kept sealed in a shared store when there is
 * one (so every instance signs with the same key), cached per slot, with a short negative cache
 * for slots no instance has created.
 *
 * @module
 */
import { generateKeyPair, importKey, type Key, type KeyValueStore } from '@countersign/core'
import type { SigningAlgorithm } from '../signing-keys.ts'
import { type SealKey, seal, unseal } from './seal.ts'
import { guard, parseRecord } from './store-guard.ts'

/** A slot and its key. */
export interface SlotKey {
  slot: number
  key: Key
}

/** How long a slot found missing is not looked up again, in ms. */
const NEGATIVE_CACHE_MS = 5_000

/** What the slot keys are made from. */
export interface SlotSettings {
  algorithm: SigningAlgorithm
  rotateEveryMs: number
  overlapMs: number
  store: KeyValueStore | undefined
  masterKey: Promise<SealKey> | undefined
  now: () => number
}

/** The slot keys of one signing-key set. */
export interface SlotKeys {
  /** The cached key of a slot, if loaded. */
  cached(slot: number): SlotKey | undefined
  /** The number of cached slots. */
  readonly size: number
  /** The key of a slot, loaded (or with `create`, created) when needed. */
  slotKey(slot: number, create: boolean): Promise<SlotKey | undefined>
  /** Drops cached slots not in `live`. */
  prune(live: ReadonlySet<number>): void
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

/** Slots whose keys are published at `t`, oldest first, and which of them must exist. */
export function publishedSlots(
  t: number,
  rotateEveryMs: number,
  overlapMs: number,
): Array<{ slot: number; create: boolean }> {
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

/** The slot keys for `settings`. */
export function createSlotKeys(settings: SlotSettings): SlotKeys {
  const { algorithm, rotateEveryMs, overlapMs, store, masterKey, now } = settings
  const cache = new Map<number, SlotKey>()
  const pending = new Map<number, Promise<SlotKey | undefined>>()
  const missing = new Map<number, number>()

  const storeKey = (slot: number): string => `cs:sk:${algorithm}:${slot}`

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
    const ttlMs = (slot + 1) * rotateEveryMs + overlapMs - now() + rotateEveryMs
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

  return {
    cached: (slot) => cache.get(slot),
    get size() {
      return cache.size
    },
    slotKey,
    prune(live) {
      for (const slot of cache.keys()) {
        if (!live.has(slot)) {
          cache.delete(slot)
        }
      }
    },
  }
}
