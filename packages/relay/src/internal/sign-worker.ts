/**
 * Ed25519 signatures on one worker thread, in batches: each signature costs the event loop
 * about a microsecond instead of the ~30 µs of signing inline (or the ~6–8 µs of a libuv
 * thread-pool hand-off per signature), so a busy relay keeps its event loop for forwarding.
 *
 * The signs asked for in one turn of the event loop go to the worker as one message and come
 * back as one. The worker holds a clone of each private `KeyObject` it has been sent (the
 * same process; nothing leaves it). It starts on the first signature, is referenced only
 * while signatures are pending (so it never keeps a process alive), and is started again if it
 * dies, failing the signatures it held. Anything else (another algorithm, a key that is not a
 * Node `KeyObject`, a worker that could not start, after `close`) signs through `key.sign`.
 *
 * @internal
 * @module
 */
import { KeyObject } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { Key } from '@countersign/core'

/** The worker: keeps the keys it is sent, signs each batch in order, answers per batch. */
export const WORKER_SOURCE = `'use strict'
const { parentPort } = require('node:worker_threads')
const { sign } = require('node:crypto')
const keys = new Map()
parentPort.on('message', (message) => {
  if (message.key !== undefined) {
    keys.set(message.id, message.key)
    return
  }
  const { batch, ids, data } = message
  const out = new Array(ids.length)
  for (let i = 0; i < ids.length; i++) {
    try {
      out[i] = sign(null, data[i], keys.get(ids[i]))
    } catch {
      out[i] = null
    }
  }
  parentPort.postMessage({ batch, out })
})
`

interface Pending {
  readonly key: Key
  readonly native: KeyObject
  readonly data: Uint8Array
  readonly resolve: (signature: Uint8Array) => void
  readonly reject: (error: Error) => void
}

interface Running {
  readonly worker: Worker
  /** The id each key was sent under. */
  readonly keyIds: WeakMap<KeyObject, number>
  nextKeyId: number
  nextBatch: number
  /** Batches sent and not answered, by batch id. */
  readonly inflight: Map<number, Pending[]>
}

/** A batching Ed25519 signer on a worker thread. */
export interface SignWorker {
  /** Signs `data` with `key` (on the worker for a Node Ed25519 private key). */
  sign(key: Key, data: Uint8Array): Promise<Uint8Array>
  /** Stops the worker; later signatures use `key.sign`. */
  close(): Promise<void>
}

/** Signatures per message: the first come back while the worker signs the rest. */
const MAX_BATCH = 8
const STOPPED = 'the relay signing worker stopped'

/** The private `KeyObject` of a Node Ed25519 key, when the worker can sign with it. */
function workerKey(key: Key): KeyObject | undefined {
  const native = key.nativeKey
  return key.algorithm === 'ed25519' &&
    key.type === 'private' &&
    native instanceof KeyObject &&
    native.type === 'private'
    ? native
    : undefined
}

/**
 * Creates a {@link SignWorker}; the thread starts on the first signature. `source` replaces the
 * worker's code (tests use it to make a worker that dies).
 */
export function createSignWorker(source: string = WORKER_SOURCE): SignWorker {
  let running: Running | undefined
  let queue: Pending[] = []
  let scheduled = false
  let closed = false
  let broken = false

  const stop = (run: Running, error: Error): void => {
    if (running === run) {
      running = undefined
    }
    for (const batch of run.inflight.values()) {
      for (const item of batch) {
        item.reject(error)
      }
    }
    run.inflight.clear()
  }

  const start = (): Running | undefined => {
    let worker: Worker
    try {
      worker = new Worker(source, { eval: true })
    } catch {
      broken = true
      return undefined
    }
    worker.unref()
    const run: Running = {
      worker,
      keyIds: new WeakMap(),
      nextKeyId: 0,
      nextBatch: 0,
      inflight: new Map(),
    }
    worker.on('message', (message: { batch: number; out: (Uint8Array | null)[] }) => {
      const batch = run.inflight.get(message.batch)
      if (batch === undefined) {
        return
      }
      run.inflight.delete(message.batch)
      if (run.inflight.size === 0) {
        worker.unref()
      }
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i] as Pending
        const signature = message.out[i]
        if (signature instanceof Uint8Array) {
          item.resolve(signature)
        } else {
          item.reject(new TypeError('ed25519 signing failed in the relay signing worker'))
        }
      }
    })
    worker.on('error', () => stop(run, new Error(STOPPED)))
    worker.on('exit', () => stop(run, new Error(STOPPED)))
    return run
  }

  const send = (run: Running, batch: Pending[]): void => {
    const ids = new Array<number>(batch.length)
    const data = new Array<Uint8Array>(batch.length)
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i] as Pending
      let id = run.keyIds.get(item.native)
      if (id === undefined) {
        id = run.nextKeyId++
        run.keyIds.set(item.native, id)
        run.worker.postMessage({ id, key: item.native })
      }
      ids[i] = id
      data[i] = item.data
    }
    const batchId = run.nextBatch++
    if (run.inflight.size === 0) {
      run.worker.ref()
    }
    run.inflight.set(batchId, batch)
    run.worker.postMessage({ batch: batchId, ids, data })
  }

  const flush = (): void => {
    scheduled = false
    const batch = queue
    queue = []
    if (batch.length === 0) {
      return
    }
    if (!closed && !broken) {
      running ??= start()
    }
    const run = running
    if (run === undefined) {
      // Closed meanwhile, or no worker could start: sign as the key does itself.
      for (const item of batch) {
        item.key.sign(item.data).then(item.resolve, item.reject)
      }
      return
    }
    // Small batches, so the first signatures come back while the worker signs the rest.
    for (let i = 0; i < batch.length; i += MAX_BATCH) {
      send(run, batch.length <= MAX_BATCH ? batch : batch.slice(i, i + MAX_BATCH))
    }
  }

  return {
    sign(key, data) {
      const native = workerKey(key)
      if (native === undefined || closed || broken) {
        return key.sign(data)
      }
      return new Promise((resolve, reject) => {
        queue.push({ key, native, data, resolve, reject })
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    },
    async close() {
      closed = true
      const run = running
      running = undefined
      if (run !== undefined) {
        await run.worker.terminate()
        stop(run, new Error(STOPPED))
      }
    },
  }
}
