/**
 * API key records in a store: read, write, update, look up by key hash (with the checks that
 * never spend the rate limit), delete.
 *
 * @module
 */
import type { KeyValueStore, WindowCounterStore } from '@countersign/core'
import type { VerifyApiKeyResult } from '../api-key-types.ts'
import { HASH_NS, ID_PATTERN, type KeyRecord, parseKeyRecord, RECORD_NS } from './api-key-record.ts'
import { guard, parseRecord } from './store-guard.ts'

/** A lookup's outcome: the result, and the record when the key passed every check. */
export interface KeyCheck {
  record?: KeyRecord
  result: VerifyApiKeyResult
}

/** The record operations of one store. */
export interface KeyRecords {
  read(id: string): Promise<KeyRecord | undefined>
  write(record: KeyRecord): Promise<boolean>
  /** Points a key hash at an id, for `ttlMs` when given. */
  point(hash: string, id: string, ttlMs?: number): Promise<void>
  unpoint(hash: string): Promise<void>
  update(id: string, change: (record: KeyRecord) => void): Promise<boolean>
  /** Lookup → disabled → expired → scope (no rate limit). */
  check(hash: string, scope: readonly string[]): Promise<KeyCheck>
  remove(id: string): Promise<boolean>
}

/** The record operations over `store`. */
export function createKeyRecords(
  store: KeyValueStore & WindowCounterStore,
  now: () => number,
): KeyRecords {
  const read = async (id: string): Promise<KeyRecord | undefined> => {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      return undefined
    }
    return parseKeyRecord(await guard(() => store.get(RECORD_NS + id)))
  }
  const write = (record: KeyRecord): Promise<boolean> =>
    guard(() => store.set(RECORD_NS + record.id, JSON.stringify(record)))
  const point = async (hash: string, id: string, ttlMs?: number): Promise<void> => {
    const value = JSON.stringify({ id })
    await guard(() =>
      ttlMs === undefined
        ? store.set(HASH_NS + hash, value)
        : store.set(HASH_NS + hash, value, { ttlMs }),
    )
  }
  const unpoint = async (hash: string): Promise<void> => {
    await guard(() => store.delete(HASH_NS + hash))
  }
  return {
    read,
    write,
    point,
    unpoint,
    async update(id, change) {
      const record = await read(id)
      if (record === undefined) {
        return false
      }
      change(record)
      record.updatedAt = now()
      await write(record)
      return true
    },
    async check(hash, scope) {
      const pointer = parseRecord(await guard(() => store.get(HASH_NS + hash)))
      const id = pointer?.id
      const record = typeof id === 'string' ? await read(id) : undefined
      const t = now()
      if (
        record === undefined ||
        (record.hash !== hash && !record.prev.some((p) => p.hash === hash && t < p.until))
      ) {
        return { result: { valid: false, code: 'NOT_FOUND' } }
      }
      const base = {
        id: record.id,
        name: record.name,
        scopes: [...record.scopes],
        ...(record.meta === null ? {} : { meta: record.meta }),
      }
      if (record.disabled) {
        return { result: { valid: false, code: 'DISABLED', ...base } }
      }
      if (record.expiresAt !== null && t >= record.expiresAt) {
        return { result: { valid: false, code: 'EXPIRED', ...base } }
      }
      if (!scope.every((s) => record.scopes.includes(s))) {
        return { result: { valid: false, code: 'FORBIDDEN', ...base } }
      }
      return { record, result: { valid: true, code: 'VALID', ...base } }
    },
    async remove(id) {
      const record = await read(id)
      if (record === undefined) {
        return false
      }
      await guard(() => store.delete(RECORD_NS + id))
      for (const hash of [record.hash, ...record.prev.map((p) => p.hash)]) {
        await unpoint(hash)
      }
      return true
    },
  }
}
