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
import { Buffer } from 'node:buffer'
import { KeyObject } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { Key } from '@countersign/core'
import type { SignedFields } from '@countersign/signer'
import type { FromWorker, SigningProfile, SignOutcome, ToWorker } from './sign-worker-protocol.ts'

export type { SigningProfile } from './sign-worker-protocol.ts'

/**
 * The worker's entry: the build emits `sign-worker-thread.js` beside the bundle; from source
 * (the tests) Node runs the `.ts` itself with its type stripping.
 */
export const SIGN_WORKER_ENTRY: URL = import.meta.url.endsWith('.ts')
  ? new URL('./sign-worker-thread.ts', import.meta.url)
  : new URL('./sign-worker-thread.js', import.meta.url)

interface VerifyItem {
  readonly kind: 'verify'
  readonly key: Key
  readonly native: KeyObject
  readonly data: Uint8Array
  readonly signature: Uint8Array
  readonly resolve: (ok: boolean) => void
  readonly reject: (error: Error) => void
}

interface SignItem {
  readonly kind: 'sign'
  readonly profile: SigningProfile
  readonly key: Key
  readonly native: KeyObject
  readonly url: string
  readonly body: string
  /** Signs on the event loop instead. */
  readonly here: () => Promise<SignedFields>
  readonly resolve: (fields: SignedFields) => void
  readonly reject: (error: unknown) => void
}

type Item = VerifyItem | SignItem

interface Running {
  readonly worker: Worker
  /** The id each key was sent under. */
  readonly keyIds: WeakMap<KeyObject, number>
  /** The id each profile was sent under. */
  readonly profileIds: WeakMap<SigningProfile, number>
  nextId: number
  nextBatch: number
  /** Batches sent and not answered, by batch id. */
  readonly inflight: Map<number, Item[]>
}

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

/** Operations per message: the first results come back while the worker does the rest. */
const MAX_BATCH = 8
/**
 * Operations queued or on the worker at most. Past that the event loop does the work itself,
 * so a worker that falls behind (or is not scheduled) bounds the wait instead of a queue.
 */
export const MAX_PENDING = 64

/** Bytes as a latin-1 string: one character per byte. */
function latin1Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

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

/** Does an item on the event loop. */
function here(item: Item): void {
  if (item.kind === 'verify') {
    item.key.verify(item.data, item.signature).then(item.resolve, item.reject)
  } else {
    item.here().then(item.resolve, item.reject)
  }
}

/**
 * Creates a {@link SignWorker}; the thread starts on the first operation. `entry` replaces
 * the worker's module (tests use it to make a worker that dies or fails).
 */
export function createSignWorker(entry: URL = SIGN_WORKER_ENTRY): SignWorker {
  let running: Running | undefined
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

  /** Forgets a worker that stopped; what it held is done on the event loop. */
  const stop = (run: Running): void => {
    if (running === run) {
      running = undefined
    }
    const held = [...run.inflight.values()]
    run.inflight.clear()
    for (const batch of held) {
      settled(batch)
      for (const item of batch) {
        here(item)
      }
    }
  }

  const answer = (run: Running, message: FromWorker): void => {
    const batch = run.inflight.get(message.batch)
    if (batch === undefined) {
      return
    }
    run.inflight.delete(message.batch)
    settled(batch)
    if (run.inflight.size === 0) {
      run.worker.unref()
    }
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i] as Item
      const result = message.out[i]
      if (item.kind === 'verify') {
        item.resolve(result === true)
      } else if (Array.isArray(result)) {
        const [input, signature, digest] = result as Exclude<SignOutcome, null>
        const fields: SignedFields = { 'signature-input': input, signature }
        if (typeof digest === 'string') {
          fields['content-digest'] = digest
        }
        item.resolve(fields)
      } else {
        here(item) // the worker could not sign it: the event loop does, and reports why not
      }
    }
  }

  const start = (): Running | undefined => {
    let worker: Worker
    try {
      worker = new Worker(entry)
    } catch {
      broken = true
      return undefined
    }
    worker.unref()
    const run: Running = {
      worker,
      keyIds: new WeakMap(),
      profileIds: new WeakMap(),
      nextId: 0,
      nextBatch: 0,
      inflight: new Map(),
    }
    worker.on('message', (message: FromWorker) => answer(run, message))
    worker.on('error', () => stop(run))
    worker.on('exit', () => stop(run))
    return run
  }

  /** The id `thing` goes to the worker under, sending it first (`message`) if it was not. */
  const sentAs = <T extends object>(
    run: Running,
    ids: WeakMap<T, number>,
    thing: T,
    message: (id: number) => ToWorker,
  ): number => {
    let id = ids.get(thing)
    if (id === undefined) {
      id = run.nextId++
      ids.set(thing, id)
      run.worker.postMessage(message(id))
    }
    return id
  }

  const keyId = (run: Running, key: Key, native: KeyObject): number =>
    sentAs(run, run.keyIds, native, (id) => ({
      type: 'key',
      keyId: id,
      object: native,
      algorithm: key.algorithm,
      id: key.keyId,
    }))

  const profileId = (run: Running, profile: SigningProfile): number =>
    sentAs(run, run.profileIds, profile, (id) => ({
      type: 'profile',
      profileId: id,
      options: profile.options,
      fields: profile.fields,
    }))

  const send = (run: Running, batch: Item[]): void => {
    const batchId = run.nextBatch++
    let message: ToWorker
    if ((batch[0] as Item).kind === 'verify') {
      const items = batch as VerifyItem[]
      message = {
        type: 'verify',
        batch: batchId,
        ids: items.map((item) => keyId(run, item.key, item.native)),
        data: items.map((item) => latin1Text(item.data)),
        signatures: items.map((item) => latin1Text(item.signature)),
      }
    } else {
      message = {
        type: 'sign',
        batch: batchId,
        jobs: (batch as SignItem[]).map((item) => [
          profileId(run, item.profile),
          keyId(run, item.key, item.native),
          item.url,
          item.body,
        ]),
      }
    }
    if (run.inflight.size === 0) {
      run.worker.ref()
    }
    run.inflight.set(batchId, batch)
    run.worker.postMessage(message)
  }

  const dispatch = (run: Running | undefined, batch: Item[]): void => {
    if (batch.length === 0) {
      return
    }
    if (run === undefined) {
      // Closed meanwhile, or no worker could start.
      settled(batch)
      for (const item of batch) {
        here(item)
      }
      return
    }
    for (let i = 0; i < batch.length; i += MAX_BATCH) {
      send(run, batch.length <= MAX_BATCH ? batch : batch.slice(i, i + MAX_BATCH))
    }
  }

  const flush = (): void => {
    scheduled = false
    const signBatch = signs
    const verifyBatch = verifies
    signs = []
    verifies = []
    if (!closed && !broken) {
      running ??= start()
    }
    dispatch(running, signBatch)
    dispatch(running, verifyBatch)
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
        // The worker is busy checking tokens (~50 µs each): an HMAC forward costs the event
        // loop less than another round trip to it would cost this request.
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
        stop(run)
      }
    },
  }
}
