/**
 * One running signing worker thread, as the relay sees it: the keys and profiles it was sent,
 * the batches it holds, and the answers it gives. {@link createSignWorker} queues the
 * operations and starts a run again when one stops.
 *
 * @internal
 * @module
 */
import { Buffer } from 'node:buffer'
import type { KeyObject } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { Key } from '@countersign/core'
import type { SignedFields } from '@countersign/signer'
import type { FromWorker, SigningProfile, SignOutcome, ToWorker } from './sign-worker-protocol.ts'

/** A token check waiting for the worker. */
export interface VerifyItem {
  readonly kind: 'verify'
  readonly key: Key
  readonly native: KeyObject
  readonly data: Uint8Array
  readonly signature: Uint8Array
  readonly resolve: (ok: boolean) => void
  readonly reject: (error: Error) => void
}

/** A forward to sign, waiting for the worker. */
export interface SignItem {
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

/** An operation for the worker. */
export type Item = VerifyItem | SignItem

/** Bytes as a latin-1 string: one character per byte. */
export function latin1Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** Does an item on the event loop. */
export function here(item: Item): void {
  if (item.kind === 'verify') {
    item.key.verify(item.data, item.signature).then(item.resolve, item.reject)
  } else {
    item.here().then(item.resolve, item.reject)
  }
}

function fieldsOf(outcome: Exclude<SignOutcome, null>): SignedFields {
  const [input, signature, digest] = outcome
  const fields: SignedFields = { 'signature-input': input, signature }
  if (typeof digest === 'string') {
    fields['content-digest'] = digest
  }
  return fields
}

/** A worker thread and what it holds. */
export class SignWorkerRun {
  readonly worker: Worker
  /** The id each key and profile was sent under. */
  readonly #ids = new WeakMap<object, number>()
  #nextId = 0
  #nextBatch = 0
  /** Batches sent and not answered, by batch id. */
  readonly #inflight = new Map<number, Item[]>()
  readonly #settled: (batch: readonly Item[]) => void

  /**
   * Starts the thread at `entry`. `settled` learns of every batch answered or handed back;
   * `stopped` of the thread's end (its batches are then done on the event loop).
   *
   * @throws when no thread can start.
   */
  constructor(
    entry: URL,
    settled: (batch: readonly Item[]) => void,
    stopped: (run: SignWorkerRun) => void,
  ) {
    this.#settled = settled
    this.worker = new Worker(entry)
    this.worker.unref()
    this.worker.on('message', (message: FromWorker) => this.#answer(message))
    const stop = (): void => {
      this.handBack()
      stopped(this)
    }
    this.worker.on('error', stop)
    this.worker.on('exit', stop)
  }

  /** Sends a batch (of one kind, at most the batch size). */
  send(batch: Item[]): void {
    const batchId = this.#nextBatch++
    const message: ToWorker =
      (batch[0] as Item).kind === 'verify'
        ? {
            type: 'verify',
            batch: batchId,
            ids: (batch as VerifyItem[]).map((item) => this.#keyId(item.key, item.native)),
            data: (batch as VerifyItem[]).map((item) => latin1Text(item.data)),
            signatures: (batch as VerifyItem[]).map((item) => latin1Text(item.signature)),
          }
        : {
            type: 'sign',
            batch: batchId,
            jobs: (batch as SignItem[]).map((item) => [
              this.#profileId(item.profile),
              this.#keyId(item.key, item.native),
              item.url,
              item.body,
            ]),
          }
    if (this.#inflight.size === 0) {
      this.worker.ref()
    }
    this.#inflight.set(batchId, batch)
    this.worker.postMessage(message)
  }

  /** Hands back everything the thread holds: it is done on the event loop. */
  handBack(): void {
    const held = [...this.#inflight.values()]
    this.#inflight.clear()
    for (const batch of held) {
      this.#settled(batch)
      for (const item of batch) {
        here(item)
      }
    }
  }

  /** The id `thing` goes to the worker under, sending it first (`message`) if it was not. */
  #sentAs(thing: object, message: (id: number) => ToWorker): number {
    let id = this.#ids.get(thing)
    if (id === undefined) {
      id = this.#nextId++
      this.#ids.set(thing, id)
      this.worker.postMessage(message(id))
    }
    return id
  }

  #keyId(key: Key, native: KeyObject): number {
    return this.#sentAs(native, (id) => ({
      type: 'key',
      keyId: id,
      object: native,
      algorithm: key.algorithm,
      id: key.keyId,
    }))
  }

  #profileId(profile: SigningProfile): number {
    return this.#sentAs(profile, (id) => ({
      type: 'profile',
      profileId: id,
      options: profile.options,
      fields: profile.fields,
    }))
  }

  #answer(message: FromWorker): void {
    const batch = this.#inflight.get(message.batch)
    if (batch === undefined) {
      return
    }
    this.#inflight.delete(message.batch)
    this.#settled(batch)
    if (this.#inflight.size === 0) {
      this.worker.unref()
    }
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i] as Item
      const result = message.out[i]
      if (item.kind === 'verify') {
        item.resolve(result === true)
      } else if (Array.isArray(result)) {
        item.resolve(fieldsOf(result as Exclude<SignOutcome, null>))
      } else {
        here(item) // the worker could not sign it: the event loop does, and reports why not
      }
    }
  }
}
