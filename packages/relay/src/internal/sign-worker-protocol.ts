/**
 * The messages between the relay and its signing worker ({@link createSignWorker} on the relay's
 * side, `serveSignWorker` on the worker's). Bytes cross as latin-1 strings (one character per
 * byte, lossless): an array of strings is cloned far more cheaply than typed arrays.
 *
 * @internal
 * @module
 */
import type { KeyObject } from 'node:crypto'
import type { Algorithm, FieldLine } from '@countersign/core'
import type { SignRequestOptions } from '@countersign/signer'

/** How the relay signs for one target: signer options and the fields it signs. */
export interface SigningProfile {
  /** `createSigner` options without a key (plain data: they are sent to the worker). */
  readonly options: Omit<SignRequestOptions, 'key' | 'keyring' | 'offload'>
  /** The fields of the forwarded message, as `signMessage` gets them. */
  readonly fields: readonly FieldLine[]
}

/** A key, sent once per worker: a clone of the `KeyObject` (the same process). */
export interface KeyMessage {
  readonly type: 'key'
  readonly keyId: number
  readonly object: KeyObject
  readonly algorithm: Algorithm
  readonly id: string | undefined
}

/** A signing profile, sent once per worker. */
export interface ProfileMessage {
  readonly type: 'profile'
  readonly profileId: number
  readonly options: SigningProfile['options']
  readonly fields: SigningProfile['fields']
}

/** Token signatures to check: data and signatures as latin-1 strings. */
export interface VerifyMessage {
  readonly type: 'verify'
  readonly batch: number
  readonly ids: readonly number[]
  readonly data: readonly string[]
  readonly signatures: readonly string[]
}

/** One forward to sign: `[profile id, key id, url, body as latin-1]`. */
export type SignJob = readonly [profileId: number, keyId: number, url: string, body: string]

/** Forwards to sign. */
export interface SignMessage {
  readonly type: 'sign'
  readonly batch: number
  readonly jobs: readonly SignJob[]
}

/** What the relay sends the worker. */
export type ToWorker = KeyMessage | ProfileMessage | VerifyMessage | SignMessage

/** A signed forward: `[signature-input, signature, content-digest]`, or `null` when it failed. */
export type SignOutcome = readonly [string, string, string | undefined] | null

/** The worker's answer to a batch: booleans for checks, outcomes for forwards. */
export interface FromWorker {
  readonly batch: number
  readonly out: readonly (boolean | SignOutcome)[]
}
