/**
 * The HMAC signing secrets of API keys: sealed with AES-256-GCM under the master key, opened
 * into cached HMAC keys.
 *
 * @module
 */
import { importKey, type Key } from '@countersign/core'
import type { KeyRecord } from './api-key-record.ts'
import { importMasterKey, type MasterKeyInput, seal, unseal } from './seal.ts'

/** Sealing and opening API key secrets. */
export interface KeySecrets {
  /** Whether a master key was given. */
  readonly enabled: boolean
  /** Seals `secret` for key `id`. @throws `TypeError` without a master key. */
  seal(id: string, secret: string): Promise<string>
  /** The HMAC key over a record's secret, or `undefined` when it has none. */
  hmacKey(record: KeyRecord, algorithm: 'hmac-sha256' | 'hmac-sha1'): Promise<Key | undefined>
}

/** The most opened secrets kept; the cache is emptied when it is full. */
const MAX_CACHED_KEYS = 1000

const aad = (id: string): string => `cs:ak:secret:${id}`

/** Secrets under `masterKeyInput` (none when it is `undefined`). */
export function createKeySecrets(masterKeyInput: MasterKeyInput | undefined): KeySecrets {
  const masterKey = masterKeyInput === undefined ? undefined : importMasterKey(masterKeyInput)
  masterKey?.catch(() => {})
  const cache = new Map<string, Promise<Key>>()
  const open = async (record: KeyRecord, sealed: string, algorithm: Key['algorithm']) => {
    const secret = await unseal(
      await (masterKey as NonNullable<typeof masterKey>),
      sealed,
      aad(record.id),
    )
    if (secret === undefined) {
      throw new TypeError(`the secret of ${record.id} does not decrypt: is the master key right?`)
    }
    return importKey(new TextEncoder().encode(secret), { algorithm, keyId: record.id })
  }
  return {
    enabled: masterKey !== undefined,
    async seal(id, secret) {
      if (masterKey === undefined) {
        throw new TypeError('API key secrets need options.masterKey')
      }
      return seal(await masterKey, secret, aad(id))
    },
    async hmacKey(record, algorithm) {
      if (record.secret === null || masterKey === undefined) {
        return undefined
      }
      const cacheKey = `${record.id}:${record.sv}:${algorithm}`
      let key = cache.get(cacheKey)
      if (key === undefined) {
        key = open(record, record.secret, algorithm)
        key.catch(() => cache.delete(cacheKey))
        if (cache.size >= MAX_CACHED_KEYS) {
          cache.clear()
        }
        cache.set(cacheKey, key)
      }
      return key
    },
  }
}
