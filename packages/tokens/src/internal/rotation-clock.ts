/**
 * The clock of a key schedule: the wall clock plus how far "rotate now" has moved the schedule
 * ahead. With a store the shift is shared, so every instance follows a rotation within
 * {@link SHIFT_CACHE_MS}; the shift only grows.
 *
 * @module
 */
import type { KeyValueStore } from '@countersign/core'
import { guard } from './store-guard.ts'

/** How long an instance trusts its copy of the shared rotation shift, in ms. */
const SHIFT_CACHE_MS = 5_000

/** A key schedule's clock. */
export interface RotationClock {
  /** The schedule's time now: the clock plus the shared shift, read at most every 5 s. */
  read(): Promise<number>
  /** The schedule's time without a store read (the last shift seen). */
  peek(): number
  /** Moves the schedule ahead by `ms` and shares the new shift. */
  advance(ms: number): Promise<void>
}

/** The clock of the key schedule of `algorithm`, shared through `store` when there is one. */
export function createRotationClock(
  algorithm: string,
  store: KeyValueStore | undefined,
  now: () => number,
): RotationClock {
  const shiftKey = `cs:sk:${algorithm}:shift`
  let shift = 0
  let shiftReadAt = Number.NEGATIVE_INFINITY
  return {
    async read() {
      if (store !== undefined && now() - shiftReadAt >= SHIFT_CACHE_MS) {
        const raw = await guard(() => store.get(shiftKey))
        shiftReadAt = now()
        const stored = raw === undefined ? 0 : Number(raw)
        if (Number.isSafeInteger(stored) && stored > shift) {
          shift = stored
        }
      }
      return now() + shift
    },
    peek: () => now() + shift,
    async advance(ms) {
      shift += ms
      if (store !== undefined) {
        await guard(() => store.set(shiftKey, String(shift)))
      }
    },
  }
}
