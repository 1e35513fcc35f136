/**
 * Fail-closed store access: any failure of a store call becomes a `StoreError`
 * (`store_unavailable`, 503), whatever the adapter threw.
 *
 * @module
 */
import { isCountersignError, StoreError } from '@countersign/core'

/** Runs a store operation, converting any non-Countersign failure to `store_unavailable`. */
export async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (isCountersignError(error)) {
      throw error
    }
    throw new StoreError('store_unavailable', 'the store is unavailable', { cause: error })
  }
}

/** Parses a stored JSON record, or `undefined` when it is not a JSON object. */
export function parseRecord(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) {
    return undefined
  }
  try {
    const parsed: unknown = JSON.parse(value)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
