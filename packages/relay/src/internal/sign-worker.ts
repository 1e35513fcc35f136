/**
 * Ed25519 signing and verifying on one worker thread, in batches: each operation costs the
 * event loop about a microsecond instead of the ~30 µs of signing (or ~50 µs of verifying)
 * inline, or the ~6–8 µs of a libuv thread-pool hand-off per operation, so a busy relay keeps
 * its event loop for forwarding.
 *
 * The operations asked for in one turn of the event loop go to the worker in messages of at
 * most {@link MAX_BATCH}, so the first results come back while the worker works on the rest.
 * The worker holds a clone of each `KeyObject` it has been sent (the same process; nothing
 * leaves it). It starts on the first operation, is referenced only while operations are
 * pending (so it never keeps a process alive), and is started again if it dies; the operations
 * it held are then done on the event loop, so no request fails for it. Past {@link MAX_PENDING} pending operations the event loop does the work
 * itself. Anything else (another algorithm, a key that is not a Node `KeyObject`, a worker
 * that could not start, after `close`) goes to the key's own `sign` or `verify`.
 *
 * @internal
 * @module
 */
import { Buffer } from 'node:buffer'
import { KeyObject } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { Key } from '@countersign/core'

/**
 * The worker: keeps the keys it is sent and answers each batch in order: signatures, or for a
 * batch with `signatures`, whether each verifies. Bytes cross as latin-1 strings (one
 * character per byte, lossless): a string array is cloned far more cheaply than typed arrays.
 */
export const WORKER_SOURCE = `'use strict'
const { parentPort } = require('node:worker_threads')
const { sign, verify } = require('node:crypto')
const keys = new Map()
parentPort.on('message', (message) => {
  if (message.key !== undefined) {
    keys.set(message.id, message.key)
    return
  }
  const { batch, ids, data, signatures } = message
  const out = new Array(ids.length)
  for (let i = 0; i < ids.length; i++) {
    try {
      const bytes = Buffer.from(data[i], 'latin1')
      out[i] = signatures === undefined
        ? sign(null, bytes, keys.get(ids[i])).toString('latin1')
        : verify(null, bytes, keys.get(ids[i]), Buffer.from(signatures[i], 'latin1')) === true
    } catch {
      out[i] = signatures === undefined ? null : false
    }
  }
  parentPort.postMessage({ batch, out })
})
`

interface Pending {
  readonly key: Key
  readonly native: KeyObject
  readonly data: Uint8Array
  /** Set for a verification. */
  readonly signature: Uint8Array | undefined
  readonly resolve: (value: Uint8Array | boolean) => void
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

/** A batching Ed25519 signer and verifier on a worker thread. */
export interface SignWorker {
  /** Signs `data` with `key` (on the worker for a Node Ed25519 private key). */
  sign(key: Key, data: Uint8Array): Promise<Uint8Array>
  /** Checks `signature` over `data` with `key` (on the worker for a Node Ed25519 key). */
  verify(key: Key, data: Uint8Array, signature: Uint8Array): Promise<boolean>
  /** Stops the worker; later operations use the key's own methods. */
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

/** A latin-1 string's bytes, in a plain `Uint8Array` (at most 64 bytes here: on V8's heap). */
function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    out[i] = text.charCodeAt(i)
  }
  return out
}

/** The `KeyObject` of a Node Ed25519 key that can do `op`, when the worker can use it. */
function workerKey(key: Key, op: 'sign' | 'verify'): KeyObject | undefined {
  const native = key.nativeKey
  if (key.algorithm !== 'ed25519' || !(native instanceof KeyObject)) {
    return undefined
  }
  if (op === 'sign') {
    return key.type === 'private' && native.type === 'private' ? native : undefined
  }
  return native.type === 'public' || native.type === 'private' ? native : undefined
}

/**
 * Creates a {@link SignWorker}; the thread starts on the first operation. `source` replaces
 * the worker's code (tests use it to make a worker that dies).
 */
export function createSignWorker(source: string = WORKER_SOURCE): SignWorker {
  let running: Running | undefined
  let signs: Pending[] = []
  let verifies: Pending[] = []
  let scheduled = false
  let closed = false
  let broken = false
  /** Operations queued or on the worker. */
  let pending = 0

  /** Does an operation with the key's own methods (off the worker). */
  const direct = (item: Pending): void => {
    const done =
      item.signature === undefined
        ? item.key.sign(item.data)
        : item.key.verify(item.data, item.signature)
    done.then(item.resolve, item.reject)
  }

  /** Forgets a worker that stopped; what it held is done here instead (the work is pure). */
  const stop = (run: Running): void => {
    if (running === run) {
      running = undefined
    }
    const held = [...run.inflight.values()]
    run.inflight.clear()
    for (const batch of held) {
      pending -= batch.length
      for (const item of batch) {
        direct(item)
      }
    }
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
    worker.on('message', (message: { batch: number; out: (string | boolean | null)[] }) => {
      const batch = run.inflight.get(message.batch)
      if (batch === undefined) {
        return
      }
      run.inflight.delete(message.batch)
      pending -= batch.length
      if (run.inflight.size === 0) {
        worker.unref()
      }
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i] as Pending
        const result = message.out[i]
        if (item.signature !== undefined) {
          item.resolve(result === true)
        } else if (typeof result === 'string') {
          item.resolve(latin1Bytes(result))
        } else {
          item.reject(new TypeError('ed25519 signing failed in the relay signing worker'))
        }
      }
    })
    worker.on('error', () => stop(run))
    worker.on('exit', () => stop(run))
    return run
  }

  const send = (run: Running, batch: Pending[]): void => {
    const ids = new Array<number>(batch.length)
    const data = new Array<string>(batch.length)
    const verifying = (batch[0] as Pending).signature !== undefined
    const signatures = verifying ? new Array<string>(batch.length) : undefined
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i] as Pending
      let id = run.keyIds.get(item.native)
      if (id === undefined) {
        id = run.nextKeyId++
        run.keyIds.set(item.native, id)
        run.worker.postMessage({ id, key: item.native })
      }
      ids[i] = id
      data[i] = latin1Text(item.data)
      if (signatures !== undefined) {
        signatures[i] = latin1Text(item.signature as Uint8Array)
      }
    }
    const batchId = run.nextBatch++
    if (run.inflight.size === 0) {
      run.worker.ref()
    }
    run.inflight.set(batchId, batch)
    run.worker.postMessage({ batch: batchId, ids, data, signatures })
  }

  const dispatch = (run: Running | undefined, batch: Pending[]): void => {
    if (batch.length === 0) {
      return
    }
    if (run === undefined) {
      // Closed meanwhile, or no worker could start.
      pending -= batch.length
      for (const item of batch) {
        direct(item)
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

  const enqueue = (
    queue: Pending[],
    key: Key,
    native: KeyObject,
    data: Uint8Array,
    signature: Uint8Array | undefined,
  ): Promise<Uint8Array | boolean> => {
    pending++
    return new Promise((resolve, reject) => {
      queue.push({ key, native, data, signature, resolve, reject })
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
  }

  return {
    sign(key, data) {
      const native = workerKey(key, 'sign')
      if (native === undefined || closed || broken) {
        return key.sign(data)
      }
      if (pending >= MAX_PENDING && key.signSync !== undefined) {
        // The worker is behind (or not being scheduled): sign here rather than queue longer.
        return Promise.resolve(key.signSync(data))
      }
      return enqueue(signs, key, native, data, undefined) as Promise<Uint8Array>
    },
    verify(key, data, signature) {
      const native = workerKey(key, 'verify')
      if (native === undefined || closed || broken || !(signature instanceof Uint8Array)) {
        return key.verify(data, signature)
      }
      if (pending >= MAX_PENDING && key.verifySync !== undefined) {
        return Promise.resolve(key.verifySync(data, signature))
      }
      return enqueue(verifies, key, native, data, signature) as Promise<boolean>
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
