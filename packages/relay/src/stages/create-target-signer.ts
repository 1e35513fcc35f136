/**
 * The signing stage: how the relay signs a target's forwards with RFC 9421 (`countersign-relay`
 * tag, `Content-Digest`, `created`/`expires`/`nonce`/`keyid`), with the target's HMAC secret or
 * key, or the relay's Ed25519 key ring.
 *
 * @internal
 * @module
 */
import { type FieldLine, importKey, type Key, type KeyRing } from '@countersign/core'
import { createSigner, type SignedFields, type Signer } from '@countersign/signer'
import { RELAY_COMPONENTS, RELAY_SIGNATURE_TAG } from '@countersign/verifier'
import { decodeSecret } from '../config/validate-relay-config.ts'
import type { SigningProfile, SignWorker } from '../internal/sign-worker.ts'
import type { RelayTarget } from '../types.ts'

/** The fields of a forwarded envelope before signing (the signature covers `content-type`). */
export const ENVELOPE_FIELDS: readonly FieldLine[] = Object.freeze([
  Object.freeze(['content-type', 'application/json'] as const),
])

/** The signer on the event loop, and what the worker needs to sign the same way. */
interface SigningParts {
  readonly signer: Signer
  readonly options: SigningProfile['options']
  /** The key to sign with now (`undefined`: only the event loop's signer can say why not). */
  readonly keyNow: () => Key | undefined
}

type CommonOptions = SigningProfile['options']

function hmacParts(target: RelayTarget, common: CommonOptions): SigningParts {
  const secret = target.signing?.secret
  const keyId = target.signing?.keyId ?? target.id
  if (secret === undefined) {
    throw new TypeError(`targets: ${target.id}: signing.secret is required for hmac-sha256`)
  }
  if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
    const key = secret as Key
    const keyid = target.signing?.keyId ?? key.keyId
    return {
      signer: createSigner({ ...common, key, keyid }),
      options: { ...common, keyid },
      keyNow: () => key,
    }
  }
  const bytes = typeof secret === 'string' ? decodeSecret(secret) : secret
  if (bytes === undefined) {
    throw new TypeError(`targets: ${target.id}: signing.secret must be unpadded base64url`)
  }
  // The worker signs once the secret is imported here (the event loop signs until then).
  let imported: Key | undefined
  importKey(bytes, { algorithm: 'hmac-sha256', keyId }).then(
    (key) => {
      imported = key
    },
    () => undefined,
  )
  return {
    signer: createSigner({ ...common, key: { material: bytes, algorithm: 'hmac-sha256', keyId } }),
    options: common,
    keyNow: () => imported,
  }
}

function ringParts(ring: KeyRing | undefined, common: CommonOptions): SigningParts {
  if (ring === undefined) {
    throw new TypeError('keys: required because a target signs with ed25519')
  }
  return {
    signer: createSigner({ ...common, keyring: ring }),
    options: common,
    keyNow: () => {
      try {
        return ring.signingKey()
      } catch {
        return undefined // no key can sign now: the event loop's signer says so
      }
    },
  }
}

/**
 * The signing function of a target: it signs the exact envelope bytes on the relay's worker
 * (decision 26; bench `relay/forward (loopback)`, rows `relay Ed25519` and `relay HMAC`), or on
 * the event loop when the worker cannot.
 *
 * @throws `TypeError` when the target's signing options cannot sign.
 */
export function createTargetSigner(
  target: RelayTarget,
  ring: KeyRing | undefined,
  ttl: number,
  worker: SignWorker,
): (url: URL, body: Uint8Array) => Promise<SignedFields> {
  const common: CommonOptions = {
    components: RELAY_COMPONENTS,
    tag: RELAY_SIGNATURE_TAG,
    expiresIn: ttl,
    digest: 'sha-256',
  }
  const parts =
    target.signing?.algorithm === 'hmac-sha256'
      ? hmacParts(target, common)
      : ringParts(ring, common)
  const profile: SigningProfile = { options: parts.options, fields: ENVELOPE_FIELDS }
  return (url, body) =>
    worker.signMessage(profile, parts.keyNow(), url, body, () =>
      parts.signer.signMessage({ method: 'POST', url, headers: ENVELOPE_FIELDS, body }),
    )
}
