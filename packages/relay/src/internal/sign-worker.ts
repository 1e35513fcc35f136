/**
 * The relay's crypto on one worker thread, in batches: the whole signing step of a forward
 * (`Content-Digest`, signature base, signature, the fields) with `@countersign/signer`, and the
 * Ed25519 check of a user token its cache missed. The event loop pays a message per batch
 * instead of the work (about 10–20 µs a forward in place, 50 µs a token check), so a busy relay
 * keeps its event loop for forwarding.
 *
 * The operations asked for in one turn of the event loop go to the worker in messages of at
 * most {@link MAX_BATCH}, so the first results come back while the worker does the rest. The
 * worker holds a clone of each `KeyObject` it is sent (the same process; nothing leaves it)
 * and builds a signer per signing profile and key with the same options as the relay's own.
 * It starts on the first operation, is referenced only while operations are pending (so it
 * never keeps a process alive), and is started again if it dies; whatever it held is then done
 * on the event loop, as is anything it could not do. Past {@link MAX_PENDING} pending
 * operations, for keys it does not take (not a Node `KeyObject`, another algorithm), when no
 * worker can start, and after `close`, the event loop does the work itself.
 *
 * @internal
 * @module
 */
import { KeyObject } from 'node:crypto'
import type { Key } from '@countersign/core'
import type { SignedFields } from '@countersign/signer'
import type { SigningProfile } from './sign-worker-protocol.ts'
import { here, type Item, latin1Text, SignWorkerRun } from './sign-worker-run.ts'

export type { SigningProfile } from './sign-worker-protocol.ts'

/**
 * The worker's entry: the build emits `sign-worker-thread.js` beside the bundle; from source
 * (the tests) Node runs the `.ts` itself with its type stripping.
 */
export const SIGN_WORKER_ENTRY: URL = import.meta.url.endsWith('.ts')
  ? new URL('./sign-worker-thread.ts', import.meta.url)
  : new URL('./sign-worker-thread.js', import.meta.url)

/** The relay's batching crypto worker. */
export interface SignWorker {
  /**
   * Signs a forward (`POST url` with `body` and the profile's fields) with `key` on the
   * worker, or with `here` on the event loop when the worker cannot.
   */
  signMessage(
    profile: SigningProfile,
    key: Key | undefined,
    url: URL,
    body: Uint8Array,
    here: () => Promise<SignedFields>,
  ): Promise<SignedFields>
  /** Checks `signature` over `data` with `key` (on the worker for a Node Ed25519 key). */
  verify(key: Key, data: Uint8Array, signature: Uint8Array): Promise<boolean>
  /** Stops the worker; later operations run on the event loop. */
  close(): Promise<void>
}

/**
 * Operations per message: the first results come back while the worker does the rest (decision
 * 26; bench rows `relay Ed25519` and `relay HMAC`).
 */
const MAX_BATCH = 8
/**
 * Operations queued or on the worker at most. Past that the event loop does the work itself,
 * so a worker that falls behind (or is not scheduled) bounds the wait instead of a queue.
 */
export const MAX_PENDING = 64

/** The `KeyObject` of a Node key the worker signs with: Ed25519 private or HMAC-SHA256. */
function signingKey(key: Key | undefined): KeyObject | undefined {
  const native = key?.nativeKey
  if (!(native instanceof KeyObject)) {
    return undefined
  }
  if (key?.algorithm === 'ed25519') {
    return key.type === 'private' && native.type === 'private' ? native : undefined
  }
  if (key?.algorithm === 'hmac-sha256') {
    return key.type === 'secret' && native.type === 'secret' ? native : undefined
  }
  return undefined
}

/** The `KeyObject` of a Node Ed25519 key the worker checks with. */
function verifyingKey(key: Key): KeyObject | undefined {
  const native = key.nativeKey
  return key.algorithm === 'ed25519' &&
    native instanceof KeyObject &&
    (native.type === 'public' || native.type === 'private')
    ? native
    : undefined
}

/**
 * Creates a {@link SignWorker}; the thread starts on the first operation. `entry` replaces
 * the worker's module (tests use it to make a worker that dies or fails).
 */
export function createSignWorker(entry: URL = SIGN_WORKER_ENTRY): SignWorker {
  let running: SignWorkerRun | undefined
  let signs: Item[] = []
  let verifies: Item[] = []
  let scheduled = false
  let closed = false
  let broken = false
  /** Operations queued or on the worker. */
  let pending = 0
  /** Of those, token checks. */
  let checking = 0

  /** Counts a batch out of the pending operations. */
  const settled = (batch: readonly Item[]): void => {
    pending -= batch.length
    if ((batch[0] as Item).kind === 'verify') {
      checking -= batch.length
    }
  }

  /** Forgets a worker that stopped (it handed back what it held). */
  const stopped = (run: SignWorkerRun): void => {
    if (running === run) {
      running = undefined
    }
  }

  const start = (): SignWorkerRun | undefined => {
    try {
      return new SignWorkerRun(entry, settled, stopped)
    } catch {
      broken = true
      return undefined
    }
  }

  const dispatch = (batch: Item[]): void => {
    if (batch.length > 0 && running === undefined) {
      settled(batch) // closed meanwhile, or no worker could start
      batch.forEach(here)
    }
    for (let i = 0; running !== undefined && i < batch.length; i += MAX_BATCH) {
      running.send(batch.length <= MAX_BATCH ? batch : batch.slice(i, i + MAX_BATCH))
    }
  }

  const flush = (): void => {
    scheduled = false
    const [signBatch, verifyBatch] = [signs, verifies]
    signs = []
    verifies = []
    if (!closed && !broken) {
      running ??= start()
    }
    dispatch(signBatch)
    dispatch(verifyBatch)
  }

  const enqueue = (queue: Item[], item: Item): void => {
    pending++
    if (item.kind === 'verify') {
      checking++
    }
    queue.push(item)
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }

  const usable = (): boolean => !closed && !broken && pending < MAX_PENDING

  return {
    signMessage(profile, key, url, body, onLoop) {
      const native = signingKey(key)
      if (native === undefined || !usable()) {
        return onLoop()
      }
      if (checking > 0 && native.type === 'secret') {
        // The worker is busy checking tokens: an HMAC forward costs the event loop less than
        // another round trip (decision 26; bench row `relay HMAC, no token cache`).
        return onLoop()
      }
      return new Promise((resolve, reject) => {
        enqueue(signs, {
          kind: 'sign',
          profile,
          key: key as Key,
          native,
          url: url.href,
          body: latin1Text(body),
          here: onLoop,
          resolve,
          reject,
        })
      })
    },
    verify(key, data, signature) {
      const native = verifyingKey(key)
      if (native === undefined || !usable() || !(signature instanceof Uint8Array)) {
        return key.verify(data, signature)
      }
      return new Promise((resolve, reject) => {
        enqueue(verifies, { kind: 'verify', key, native, data, signature, resolve, reject })
      })
    },
    async close() {
      closed = true
      const run = running
      running = undefined
      if (run !== undefined) {
        await run.worker.terminate()
        run.handBack()
      }
    },
  }
}
