/**
 * Reference (opaque) tokens: a random prefixed secret handed to the caller, and a record in the
 * store under the SHA-256 of the token. The record's payload is sealed with AES-256-GCM under a
 * key derived from the token itself, so the store alone reveals neither the token nor what it
 * stands for. Format v1 keys records by SHA-256(token) and derives the record key with HKDF;
 * format v2 (see {@link ReferenceTokensConfig.v2}) takes both from one SHA-512 of the token. An
 * engine with v2 writes v2 and still reads v1 records. Revoked and redeemed tokens keep a marker until they expire (plus a
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
import { deriveTokenKey, type SealKey, seal, splitTokenHash, unseal } from './seal.ts'
import { guard, parseRecord } from './store-guard.ts'

/** The store capabilities reference tokens need. */
export type ReferenceTokenStore = KeyValueStore & ConsumeOnceStore

/** Record states: active, revoked, used (redeemed). */
type State = 'a' | 'r' | 'u'

interface Entry {
  /** The record format: 1 (HKDF record key) or 2 (one SHA-512 split). */
  v: 1 | 2
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
  /** HKDF info string for the payload key (format v1). */
  info: string
  /**
   * Write format v2 records: the store key is `v2.namespace` + the first half of
   * `SHA-512(domain, 0x00, token)` and the record key its second half. v1 records (under
   * `namespace`) are still read, revoked and redeemed. Absent: the engine reads and writes v1.
   */
  v2?: { namespace: string; domain: string }
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

/** One place a record may live: its format, its store key and its record key. */
interface Located {
  version: 1 | 2
  key: string
  sealKey: () => SealKey | Promise<SealKey>
}

/** A marker (revoked or used) of an entry, in the entry's format. */
function marker(entry: Entry, state: 'r' | 'u'): Entry {
  const out: Entry = { v: entry.v, s: state, exp: entry.exp, iat: entry.iat }
  if (entry.c !== undefined) {
    out.c = entry.c
  }
  return out
}

function parseEntry(raw: string | undefined, version: 1 | 2): Entry | undefined {
  const record = parseRecord(raw)
  if (
    record === undefined ||
    record.v !== version ||
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
  const { store, prefix, namespace, info: hkdfInfo, retentionMs, now, v2 } = config

  const owns = (token: string): boolean => checkSecret(token, prefix)

  const read = async (at: Located): Promise<Entry | undefined> =>
    parseEntry(await guard(() => store.get(at.key)), at.version)

  /** The token's record: format v2's place first (when enabled), then format v1's. */
  const find = async (token: string): Promise<{ at: Located; entry: Entry } | undefined> => {
    if (v2 !== undefined) {
      const split = await splitTokenHash(token, v2.domain)
      const at: Located = { version: 2, key: v2.namespace + split.id, sealKey: () => split.key }
      const entry = await read(at)
      if (entry !== undefined) {
        return { at, entry }
      }
    }
    const at: Located = {
      version: 1,
      key: namespace + (await hashSecret(token)),
      sealKey: () => deriveTokenKey(token, hkdfInfo),
    }
    const entry = await read(at)
    return entry === undefined ? undefined : { at, entry }
  }

  /** Checks shape, looks the entry up, and applies state and expiry. */
  const load = async (token: string): Promise<{ at: Located; entry: Entry }> => {
    if (!owns(token)) {
      throw new TokenError('token_invalid', 'token is not valid')
    }
    const found = await find(token)
    if (found === undefined) {
      throw new TokenError('token_invalid', 'token is not valid')
    }
    const { entry } = found
    if (entry.s === 'r') {
      throw new TokenError('token_revoked', 'token has been revoked')
    }
    if (entry.s === 'u') {
      throw new TokenError('token_revoked', 'token has already been redeemed')
    }
    if (now() >= entry.exp) {
      throw new TokenError('token_expired', 'token has expired')
    }
    return found
  }

  const markerTtl = (entry: Entry): number => Math.max(entry.exp - now(), 0) + retentionMs

  return {
    owns,

    async issue(payload, options) {
      const token = generateSecret(prefix)
      const issuedAt = now()
      let key: string
      let entry: Entry
      if (v2 === undefined) {
        key = namespace + (await hashSecret(token))
        const sealed = await seal(await deriveTokenKey(token, hkdfInfo), payload, key)
        entry = { v: 1, s: 'a', exp: options.expiresAt, iat: issuedAt, d: sealed }
      } else {
        const split = await splitTokenHash(token, v2.domain)
        key = v2.namespace + split.id
        const sealed = await seal(split.key, payload, key, 'v2')
        entry = { v: 2, s: 'a', exp: options.expiresAt, iat: issuedAt, d: sealed }
      }
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
      const { at, entry } = await load(token)
      const { key } = at
      const payload =
        entry.d === undefined
          ? undefined
          : await unseal(await at.sealKey(), entry.d, key, entry.v === 2 ? 'v2' : 'v1')
      if (payload === undefined) {
        throw new TokenError('token_invalid', 'token is not valid')
      }
      if (options.consume === true || entry.su === 1) {
        const ttlMs = markerTtl(entry)
        const first = await guard(() => store.consumeOnce(`${key}:used`, ttlMs))
        if (!first) {
          throw new TokenError('token_revoked', 'token has already been redeemed')
        }
        const used = marker(entry, 'u')
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
      const found = await find(token)
      if (found === undefined) {
        return false
      }
      const { entry } = found
      const { key } = found.at
      if (options.clientId !== undefined && entry.c !== options.clientId) {
        return false
      }
      if (entry.s === 'r') {
        return true
      }
      const revoked = marker(entry, 'r')
      await guard(() => store.set(key, JSON.stringify(revoked), { ttlMs: markerTtl(entry) }))
      return true
    },
  }
}
