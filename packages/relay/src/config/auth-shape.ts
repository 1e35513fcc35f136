/**
 * The shape of end-user authentication (`auth`), in the file and in code.
 *
 * @internal
 * @module
 */
import type { Jwks } from '@countersign/core'
import { secretRef } from './secret-shape.ts'
import {
  codeOnly,
  custom,
  describe,
  integer,
  isObj,
  literal,
  object,
  optional,
  report,
  required,
  type Shape,
  tagged,
  text,
} from './shape-kit.ts'

const JWS_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]

/** Whether `url` is https, or http to a loopback host. */
function isSecureUrl(url: URL): boolean {
  if (url.protocol === 'https:') {
    return true
  }
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
}

/** The URL of a service the relay calls: https without userinfo (http only for localhost). */
const serviceUrl = text({
  format: 'uri',
  further(value, path, ctx) {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      report(ctx, path, 'must be an absolute URL')
      return
    }
    if (!isSecureUrl(url) || url.username !== '' || url.password !== '') {
      report(ctx, path, 'must be an https URL without userinfo (http only for localhost)')
    }
  },
})

const audience = custom<string | string[]>(
  {
    oneOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    ],
  },
  (value, path, ctx) => {
    const ok =
      (typeof value === 'string' && value.length > 0) ||
      (Array.isArray(value) &&
        value.length > 0 &&
        value.every((a) => typeof a === 'string' && a.length > 0))
    if (!ok) {
      report(ctx, path, 'must be a non-empty string or array of strings')
    }
  },
)

const jwks = custom<Jwks>(
  {
    type: 'object',
    properties: { keys: { type: 'array', items: { type: 'object' } } },
    required: ['keys'],
  },
  (value, path, ctx) => {
    if (!(isObj(value) && Array.isArray(value.keys))) {
      report(ctx, path, 'must be a JWKS object: { "keys": [ … ] }')
    }
  },
)

const cacheSettings = object({
  maxEntries: optional(integer(1, 1_000_000), 'How many verified tokens are kept.'),
  maxAgeMs: optional(integer(1, 3_600_000), 'How long a verified token is kept.'),
})
type CacheSettings = typeof cacheSettings extends Shape<infer T> ? T : never

const cache = custom<false | CacheSettings>(
  { oneOf: [{ const: false }, cacheSettings.schema()] },
  (value, path, ctx, parent) => {
    if (value === false) {
      return
    }
    if (isObj(value)) {
      cacheSettings.check(value, path, ctx, parent)
    } else {
      report(ctx, path, `must be false or { maxEntries, maxAgeMs }, got ${describe(value)}`)
    }
  },
)

const runtimeKeys = custom<never>({}, (value, path, ctx) => {
  if (
    typeof value !== 'function' &&
    !Array.isArray(value) &&
    !(isObj(value) && typeof value.get === 'function')
  ) {
    report(ctx, path, 'must be a key ring, an array of keys or a kid resolver')
  }
})

const denylist = custom<never>({}, (value, path, ctx) => {
  if (!(isObj(value) && typeof value.get === 'function')) {
    report(ctx, path, 'must be a key-value store (with get)')
  }
})

const ISSUER = 'The expected token issuer (iss).'
const AUDIENCE = 'The accepted token audiences (aud).'

const countersign = object(
  {
    type: required(literal('countersign')),
    issuer: required(text(), ISSUER),
    audience: required(audience, AUDIENCE),
    jwks: optional(jwks, 'The token service keys, inline (exactly one of jwks or jwksUrl).'),
    jwksUrl: optional(serviceUrl, 'Where the token service publishes its keys.'),
    keys: codeOnly(runtimeKeys),
    denylist: codeOnly(denylist),
    cache: optional(cache, 'The verified-token cache, or false for none.'),
  },
  {
    refine(value, path, ctx) {
      const given = ['jwks', 'jwksUrl', 'keys'].filter((k) => value[k] !== undefined)
      if (given.length !== 1) {
        const names = ctx.mode === 'file' ? 'jwks or jwksUrl' : 'jwks, jwksUrl or keys'
        report(ctx, path, `must have exactly one of ${names}`)
      }
    },
  },
)

const introspection = object({
  type: required(literal('introspection')),
  url: required(serviceUrl, 'The RFC 7662 introspection endpoint.'),
  apiKey: required(secretRef(), 'The API key the relay authenticates with.'),
  issuer: required(text(), ISSUER),
  audience: required(audience, AUDIENCE),
  cacheMs: optional(integer(0, 3_600_000), 'How long an answer is cached.'),
  timeoutMs: optional(integer(1, 60_000), 'The introspection timeout.'),
})

const algorithms = custom<string[]>(
  { type: 'array', items: { enum: JWS_ALGS }, minItems: 1 },
  (value, path, ctx) => {
    if (
      !(
        Array.isArray(value) &&
        value.length > 0 &&
        value.every((a) => typeof a === 'string' && JWS_ALGS.includes(a))
      )
    ) {
      report(ctx, path, `must be a non-empty array of ${JWS_ALGS.join(', ')}`)
    }
  },
)

const oidc = object({
  type: required(literal('oidc')),
  issuer: required(text(), ISSUER),
  audience: required(audience, AUDIENCE),
  jwksUrl: required(serviceUrl, "The identity provider's JWKS URL."),
  algorithms: optional(algorithms, 'The accepted JWS algorithms.'),
})

const customAuth = object(
  {
    type: required(literal('custom')),
    authenticate: codeOnly(custom<never>({}, () => undefined)),
  },
  {
    refine(value, path, ctx) {
      if (typeof value.authenticate !== 'function') {
        report(ctx, `${path}.authenticate`, 'must be a function (request) => user')
      }
    },
  },
)

/** End-user authentication; `custom` exists only in code. */
export const auth = tagged({ countersign, introspection, oidc }, { custom: customAuth })
