/**
 * The signing worker's side: it holds the keys and profiles it is sent, signs forwards with
 * `@countersign/signer` (a signer per profile and key, with the relay's own options) and checks
 * Ed25519 token signatures with `node:crypto`. Run by `sign-worker-thread.ts`, the entry the
 * build emits as `dist/sign-worker-thread.js`.
 *
 * @internal
 * @module
 */
import { Buffer } from 'node:buffer'
import { verify } from 'node:crypto'
import type { MessagePort } from 'node:worker_threads'
import { importKey, type Key } from '@countersign/core'
import { createSigner, type Signer } from '@countersign/signer'
import type {
  FromWorker,
  KeyMessage,
  ProfileMessage,
  SignJob,
  SignOutcome,
  ToWorker,
  VerifyMessage,
} from './sign-worker-protocol.ts'

/** What the worker holds, by the ids the relay sent things under. */
export interface WorkerState {
  readonly keys: Map<number, KeyMessage>
  readonly imported: Map<number, Promise<Key>>
  readonly profiles: Map<number, ProfileMessage>
  readonly signers: Map<string, Promise<Signer>>
}

/** Signs one forward; `null` when it cannot (the relay then signs it on its event loop). */
export type SignJobFn = (state: WorkerState, job: SignJob) => Promise<SignOutcome>

function importedKey(state: WorkerState, keyId: number): Promise<Key> {
  let key = state.imported.get(keyId)
  if (key === undefined) {
    const { object, algorithm, id } = state.keys.get(keyId) as KeyMessage
    const material =
      object.type === 'secret' ? new Uint8Array(object.export()) : object.export({ format: 'jwk' })
    key = importKey(material, { algorithm, ...(id === undefined ? {} : { keyId: id }) })
    state.imported.set(keyId, key)
  }
  return key
}

function signerFor(state: WorkerState, profileId: number, keyId: number): Promise<Signer> {
  const name = `${profileId}:${keyId}`
  let signer = state.signers.get(name)
  if (signer === undefined) {
    const profile = state.profiles.get(profileId) as ProfileMessage
    signer = importedKey(state, keyId).then((key) => createSigner({ ...profile.options, key }))
    signer.catch(() => state.signers.delete(name))
    state.signers.set(name, signer)
  }
  return signer
}

/** The worker's own signing of a forward. */
export const signJob: SignJobFn = async (state, [profileId, keyId, url, body]) => {
  try {
    const signer = await signerFor(state, profileId, keyId)
    const fields = await signer.signMessage({
      method: 'POST',
      url,
      headers: (state.profiles.get(profileId) as ProfileMessage).fields,
      body: Buffer.from(body, 'latin1'),
    })
    return [fields['signature-input'], fields.signature, fields['content-digest']]
  } catch {
    return null
  }
}

function checkAll(state: WorkerState, message: VerifyMessage): boolean[] {
  return message.ids.map((id, i) => {
    try {
      const object = (state.keys.get(id) as KeyMessage).object
      const data = Buffer.from(message.data[i] as string, 'latin1')
      return verify(null, data, object, Buffer.from(message.signatures[i] as string, 'latin1'))
    } catch {
      return false
    }
  })
}

/**
 * Answers the relay's messages on `port` (the worker's `parentPort`). `sign` replaces the
 * signing of one forward (tests use it to make a worker that fails).
 */
export function serveSignWorker(port: MessagePort, sign: SignJobFn = signJob): void {
  const state: WorkerState = {
    keys: new Map(),
    imported: new Map(),
    profiles: new Map(),
    signers: new Map(),
  }
  const post = (answer: FromWorker): void => port.postMessage(answer)
  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'key':
        state.keys.set(message.keyId, message)
        return
      case 'profile':
        state.profiles.set(message.profileId, message)
        return
      case 'verify':
        post({ batch: message.batch, out: checkAll(state, message) })
        return
      case 'sign':
        void Promise.all(message.jobs.map((job) => sign(state, job))).then((out) =>
          post({ batch: message.batch, out }),
        )
        return
    }
  })
}
