/**
 * Reference (opaque) tokens: a random prefixed secret handed to the caller, and a record in the
 * store under the SHA-256 of the token. The record's payload is sealed with AES-256-GCM under a
 * key derived from the token itself (HKDF), so the store alone reveals neither the token nor
 * what it stands for. Revoked and redeemed tokens keep a marker until they expire (plus a
 * retention period), so a revoked token answers `token_revoked`, not `token_invalid`.
 *
 * @module
 */
import {
  type ConsumeOnceStore,
  checkSecret,
  generateSecret,
  hashSecret,
  type KeyValueStore,
  TokenError,
} from '@countersign/core'
import { deriveTokenKey, seal, unseal } from './seal.ts'
import { guard, parseRecord } from './store-guard.ts'

/** The store capabilities reference tokens need. */
export type ReferenceTokenStore = KeyValueStore & ConsumeOnceStore

/** Record states: active, revoked, used (redeemed). */
type State = 'a' | 'r' | 'u'

interface Entry {
  v: 1
  s: State
  /** Expiry, ms since the epoch. */
  exp: number
  /** Issue time, ms since the epoch. */
  iat: number
  /** Single use. */
  su?: 1
  /** The client (API key id) that issued it. */
  c?: string
  /** The sealed payload (active entries only). */
  d?: string
}

/** What {@link ReferenceTokens.resolve} returns. */
export interface ResolvedReference {
  payload: string
  expiresAt: number
  issuedAt: number
  singleUse: boolean
  clientId: string | undefined
}

/** Metadata of a live reference token. */
export interface ReferenceInfo {
  expiresAt: number
  issuedAt: number
  singleUse: boolean
  clientId: string | undefined
}

/** Options for {@link createReferenceTokens}. */
export interface ReferenceTokensConfig {
  store: ReferenceTokenStore
  /** Secret prefix, e.g. `cs_pt`. */
  prefix: string
  /** Store key namespace, e.g. `cs:pt:`. */
  namespace: string
  /** HKDF info string for the payload key. */
  info: string
  /** How long markers of expired tokens are kept, so that they answer `token_expired`. */
  retentionMs: number
  now: () => number
}

/** Internal engine shared by parameter tokens and opaque user tokens. */
export interface ReferenceTokens {
  issue(
    payload: string,
    options: { expiresAt: number; singleUse?: boolean; clientId?: string },
  ): Promise<string>
  resolve(token: string, options?: { consume?: boolean }): Promise<ResolvedReference>
  info(token: string): Promise<ReferenceInfo>
  /** Revokes; with `clientId`, only a token issued to that client. */
  revoke(token: string, options?: { clientId?: string }): Promise<boolean>
  /** Whether `token` has this engine's prefix and a valid checksum. */
  owns(token: string): boolean
}

function parseEntry(raw: string | undefined): Entry | undefined {
  const record = parseRecord(raw)
  if (
    record === undefined ||
    record.v !== 1 ||
    (record.s !== 'a' && record.s !== 'r' && record.s !== 'u') ||
    typeof record.exp !== 'number' ||
    typeof record.iat !== 'number'
  ) {
    return undefined
  }
  return record as unknown as Entry
}

/** Creates the reference-token engine. */
export function createReferenceTokens(config: ReferenceTokensConfig): ReferenceTokens {
  const { store, prefix, namespace, info: hkdfInfo, retentionMs, now } = config

  const owns = (token: string): boolean => checkSecret(token, prefix)

  /** Checks shape, looks the entry up, and applies state and expiry. */
  const load = async (token: string): Promise<{ key: string; entry: Entry }> => {
    if (!owns(token)) {
      throw new TokenError('token_invalid', 'token is not valid')
    }
    const key = namespace + (await hashSecret(token))
    const entry = parseEntry(await guard(() => store.get(key)))
    if (entry === undefined) {
      throw new TokenError('token_invalid', 'token is not valid')
    }
    if (entry.s === 'r') {
      throw new TokenError('token_revoked', 'token has been revoked')
    }
    if (entry.s === 'u') {
      throw new TokenError('token_revoked', 'token has already been redeemed')
    }
    if (now() >= entry.exp) {
      throw new TokenError('token_expired', 'token has expired')
    }
    return { key, entry }
  }

  const markerTtl = (entry: Entry): number => Math.max(entry.exp - now(), 0) + retentionMs

  return {
    owns,

    async issue(payload, options) {
      const token = generateSecret(prefix)
      const key = namespace + (await hashSecret(token))
      const issuedAt = now()
      const sealed = await seal(await deriveTokenKey(token, hkdfInfo), payload, key)
      const entry: Entry = { v: 1, s: 'a', exp: options.expiresAt, iat: issuedAt, d: sealed }
      if (options.singleUse === true) {
        entry.su = 1
      }
      if (options.clientId !== undefined) {
        entry.c = options.clientId
      }
      const ttlMs = Math.max(options.expiresAt - issuedAt, 1) + retentionMs
      await guard(() => store.set(key, JSON.stringify(entry), { ttlMs }))
      return token
    },

    async resolve(token, options = {}) {
      const { key, entry } = await load(token)
      const payload =
        entry.d === undefined
          ? undefined
          : await unseal(await deriveTokenKey(token, hkdfInfo), entry.d, key)
      if (payload === undefined) {
        throw new TokenError('token_invalid', 'token is not valid')
      }
      if (options.consume === true || entry.su === 1) {
        const ttlMs = markerTtl(entry)
        const first = await guard(() => store.consumeOnce(`${key}:used`, ttlMs))
        if (!first) {
          throw new TokenError('token_revoked', 'token has already been redeemed')
        }
        const used: Entry = { v: 1, s: 'u', exp: entry.exp, iat: entry.iat }
        if (entry.c !== undefined) {
          used.c = entry.c
        }
        // Best effort: the consumeOnce marker already refuses every later redemption.
        await guard(() => store.set(key, JSON.stringify(used), { ttlMs })).catch(() => {})
      }
      return {
        payload,
        expiresAt: entry.exp,
        issuedAt: entry.iat,
        singleUse: entry.su === 1,
        clientId: entry.c,
      }
    },

    async info(token) {
      const { entry } = await load(token)
      return {
        expiresAt: entry.exp,
        issuedAt: entry.iat,
        singleUse: entry.su === 1,
        clientId: entry.c,
      }
    },

    async revoke(token, options = {}) {
      if (!owns(token)) {
        return false
      }
      const key = namespace + (await hashSecret(token))
      const entry = parseEntry(await guard(() => store.get(key)))
      if (entry === undefined) {
        return false
      }
      if (options.clientId !== undefined && entry.c !== options.clientId) {
        return false
      }
      if (entry.s === 'r') {
        return true
      }
      const revoked: Entry = { v: 1, s: 'r', exp: entry.exp, iat: entry.iat }
      if (entry.c !== undefined) {
        revoked.c = entry.c
      }
      await guard(() => store.set(key, JSON.stringify(revoked), { ttlMs: markerTtl(entry) }))
      return true
    },
  }
}
