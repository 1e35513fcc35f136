/**
 * The shape of the relay's own signing keys: in the file Ed25519 JWKs or PEMs (inline or by
 * reference), in code a key ring or an array of imported keys.
 *
 * @internal
 * @module
 */
import { inlineSecret, REFERENCE_SCHEMAS, secretRef } from './secret-shape.ts'
import {
  boolean,
  byMode,
  custom,
  describe,
  isObj,
  list,
  object,
  optional,
  report,
  type Shape,
} from './shape-kit.ts'
import { isKeyLike, KEY_ID, needsRelayKeys } from './target-shape.ts'

const privateJwk = custom<JsonWebKey | { env: string } | { file: string }>(
  {
    oneOf: [
      {
        type: 'object',
        description: 'A private Ed25519 JWK.',
        properties: { kty: { const: 'OKP' }, crv: { const: 'Ed25519' }, d: { type: 'string' } },
        required: ['kty', 'crv', 'd'],
      },
      ...REFERENCE_SCHEMAS,
    ],
  },
  (jwk, path, ctx) => {
    if (!isObj(jwk)) {
      report(ctx, path, `must be a private JWK object, got ${describe(jwk)}`)
    } else if ('env' in jwk || 'file' in jwk) {
      inlineSecret(jwk, path, ctx)
    } else if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
      report(ctx, path, 'must be an Ed25519 JWK (kty "OKP", crv "Ed25519")')
    } else if (typeof jwk.d !== 'string') {
      report(ctx, path, 'must be a private JWK (with "d")')
    }
  },
)

const pem = secretRef((text, path, ctx) => {
  if (!text.includes('-----BEGIN PRIVATE KEY-----')) {
    report(ctx, path, 'must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)')
  }
})

const dateTime = custom<string>({ type: 'string', format: 'date-time' }, (value, path, ctx) => {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    report(ctx, path, 'must be an ISO 8601 date-time')
  }
})

/** An Ed25519 signing key in a config file: a private JWK or a PKCS#8 PEM. */
export const fileKey = object(
  {
    privateJwk: optional(privateJwk, 'A private Ed25519 JWK, or a reference to its JSON.'),
    pem: optional(pem, 'A PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), or a reference to it.'),
    keyId: optional(KEY_ID, "The key id. Default: the JWK's kid, else its RFC 7638 thumbprint."),
    primary: optional(boolean(), 'Sign with this key in preference to the others.'),
    notBefore: optional(dateTime, 'Not used for signing before this time; published at once.'),
    notAfter: optional(dateTime, 'Neither signs nor verifies from this time on.'),
  },
  {
    refine(key, path, ctx) {
      if (['privateJwk', 'pem'].filter((k) => key[k] !== undefined).length !== 1) {
        report(ctx, path, 'must have exactly one of privateJwk or pem')
      }
    },
  },
)

const fileKeys = list(fileKey)
type FileKeys = typeof fileKeys extends Shape<infer T> ? T : never

/** The relay keys: file keys, or in code a key ring or an array of keys. */
export const relayKeys = byMode<FileKeys>(
  custom(fileKeys.schema(), (value, path, ctx, root) => {
    if (Array.isArray(value) && value.length === 0 && needsRelayKeys(root)) {
      report(ctx, path, 'must list at least one key: a target signs with ed25519')
    }
    fileKeys.check(value, path, ctx, root)
  }),
  custom({}, (keys, path, ctx) => {
    if (
      !(Array.isArray(keys) && keys.every(isKeyLike)) &&
      !(isObj(keys) && typeof keys.signingKey === 'function' && typeof keys.jwks === 'function')
    ) {
      report(ctx, path, 'must be a key ring (createKeyRing) or an array of keys (importKey)')
    }
  }),
)

/** The issue when the relay keys are absent but a target needs them. */
export function missingRelayKeys(root: Record<string, unknown>): string | undefined {
  return needsRelayKeys(root)
    ? 'is required: a target signs with ed25519, which uses the relay keys'
    : undefined
}
