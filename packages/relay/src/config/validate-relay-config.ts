/**
 * Relay configuration checks with messages that say what is wrong and where, as a JSON path:
 * `targets[1].baseUrl: must be an https or http URL without userinfo`. One checker serves the
 * JSON config file ({@link validateRelayConfig}) and the options object of `createRelay`, which
 * may also hold runtime objects (keys, stores, functions).
 *
 * @module
 */
import { fromBase64Url, type Jwks } from '@countersign/core'
import { hostRefusal } from '../ssrf/parse-host.ts'

/** One problem found in a configuration. */
export interface RelayConfigIssue {
  /** Where, as a JSON path (`targets[1].baseUrl`; empty for the whole document). */
  path: string
  /** What is wrong. */
  message: string
}

/**
 * A configuration that does not validate. `message` lists every issue, one per line, as
 * `path: message`; `issues` has them as data. Never quotes a secret.
 */
export class RelayConfigError extends TypeError {
  /** Every issue found. */
  readonly issues: readonly RelayConfigIssue[]

  constructor(issues: readonly RelayConfigIssue[]) {
    super(
      issues
        .map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`))
        .join('\n'),
    )
    this.name = 'RelayConfigError'
    this.issues = issues
  }
}

/**
 * A secret in a config file: the value itself, `{ "env": "NAME" }` (read from an environment
 * variable) or `{ "file": "path" }` (read from a file, relative to the config file).
 */
export type SecretRef = string | { env: string } | { file: string }

/** An Ed25519 signing key in a config file: a private JWK or a PKCS#8 PEM. */
export interface RelayFileKey {
  /** A private Ed25519 JWK (`kty: "OKP"`, `crv: "Ed25519"`, with `d`), or a reference to its JSON. */
  privateJwk?: JsonWebKey | { env: string } | { file: string }
  /** A PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), or a reference to it. */
  pem?: SecretRef
  /** The key id. Default: the JWK's `kid`, else the RFC 7638 thumbprint. */
  keyId?: string
  /** Sign with this key in preference to the others. */
  primary?: boolean
  /** Not used for signing before this time (ISO 8601); published and verifying at once. */
  notBefore?: string
  /** Neither signs nor verifies from this time on (ISO 8601). */
  notAfter?: string
}

/** A target in a config file: as {@link RelayTarget}, with secrets as {@link SecretRef}s. */
export interface RelayFileTarget {
  /** See {@link RelayTarget.id}. */
  id: string
  /** See {@link RelayTarget.baseUrl}. */
  baseUrl: string
  /** See {@link RelayTarget.signing}; `secret` is unpadded base64url (at least 32 bytes). */
  signing?: { algorithm?: 'ed25519' | 'hmac-sha256'; secret?: SecretRef; keyId?: string }
  /** See {@link RelayTarget.timeoutMs}. */
  timeoutMs?: number
  /** See {@link RelayTarget.maxBodyBytes}. */
  maxBodyBytes?: number
  /** See {@link RelayTarget.allowPrivateNetwork}. */
  allowPrivateNetwork?: boolean
  /** See {@link RelayTarget.allowHttp}. */
  allowHttp?: boolean
  /** See {@link RelayTarget.skapiCompat}. */
  skapiCompat?: { apiKey: SecretRef }
}

/** End-user authentication in a config file (the `custom` hook exists only in code). */
export type RelayFileAuth =
  | {
      type: 'countersign'
      issuer: string
      audience: string | string[]
      jwks?: Jwks
      jwksUrl?: string
      cache?: false | { maxEntries?: number; maxAgeMs?: number }
    }
  | {
      type: 'introspection'
      url: string
      apiKey: SecretRef
      issuer: string
      audience: string | string[]
      cacheMs?: number
      timeoutMs?: number
    }
  | {
      type: 'oidc'
      issuer: string
      audience: string | string[]
      jwksUrl: string
      algorithms?: string[]
    }

/** A relay config file (`countersign.config.json`, or its `relay` section). */
export interface RelayFileConfig {
  /** Where the CLI listens. */
  server?: {
    /** The port. Default 8787. */
    port?: number
    /** The interface. Default `127.0.0.1`. */
    host?: string
    /** The public origin clients use, e.g. `https://relay.example` (for the request URL). */
    origin?: string
  }
  /** The relay's Ed25519 signing keys, oldest first. */
  keys?: RelayFileKey[]
  /** See {@link RelayOptions.targets}. */
  targets: RelayFileTarget[]
  /** See {@link RelayOptions.auth}. */
  auth: RelayFileAuth
  /** Where rate limits are counted. Default `{ "type": "memory" }`. */
  store?:
    | { type: 'memory'; maxEntries?: number }
    | { type: 'redis'; url?: SecretRef; prefix?: string }
    | { type: 'sqlite'; path: string }
  /** See {@link RelayOptions.rateLimit}. */
  rateLimit?: {
    perUser?: { limit: number; windowMs: number }
    perTarget?: { limit: number; windowMs: number }
  }
  /** See {@link RelayOptions.maxRequestBytes}. */
  maxRequestBytes?: number
  /** See {@link RelayOptions.maxJsonDepth}. */
  maxJsonDepth?: number
  /** See {@link RelayOptions.maxBatchSize}. */
  maxBatchSize?: number
  /** See {@link RelayOptions.signatureTtlSeconds}. */
  signatureTtlSeconds?: number
  /** See {@link RelayOptions.connectTimeoutMs}. */
  connectTimeoutMs?: number
  /** Where audit events go: `"stdout"` or `"stderr"` as JSON lines, or `"none"` (default). */
  audit?: 'none' | 'stdout' | 'stderr'
  /** See {@link RelayOptions.cors}. */
  cors?: { allowedOrigins: string[]; maxAgeSeconds?: number }
  /** See {@link RelayOptions.localDevelopment}. */
  localDevelopment?: boolean
}

type Mode = 'file' | 'runtime'
type Obj = Record<string, unknown>

const TARGET_ID = /^[A-Za-z0-9._-]{1,64}$/
const KEY_ID = /^[\x21-\x7e]{1,128}$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/
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
const MIN_SECRET_BYTES = 32

class Issues {
  readonly list: RelayConfigIssue[] = []
  add(path: string, message: string): void {
    this.list.push({ path, message })
  }
}

const at = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`)
const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function describe(value: unknown): string {
  if (value === null) {
    return 'null'
  }
  if (Array.isArray(value)) {
    return 'an array'
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function allowOnly(obj: Obj, allowed: readonly string[], path: string, issues: Issues): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      issues.add(at(path, key), `unknown option (expected one of ${allowed.join(', ')})`)
    }
  }
}

function integer(
  obj: Obj,
  key: string,
  path: string,
  issues: Issues,
  min: number,
  max: number,
  required = false,
): void {
  const value = obj[key]
  if (value === undefined) {
    if (required) {
      issues.add(at(path, key), 'is required')
    }
    return
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    issues.add(at(path, key), `must be an integer from ${min} to ${max}`)
  }
}

function nonEmptyString(
  obj: Obj,
  key: string,
  path: string,
  issues: Issues,
  required: boolean,
): boolean {
  const value = obj[key]
  if (value === undefined) {
    if (required) {
      issues.add(at(path, key), 'is required')
    }
    return false
  }
  if (typeof value !== 'string' || value.length === 0) {
    issues.add(at(path, key), `must be a non-empty string, got ${describe(value)}`)
    return false
  }
  return true
}

function boolean(obj: Obj, key: string, path: string, issues: Issues): void {
  const value = obj[key]
  if (value !== undefined && typeof value !== 'boolean') {
    issues.add(at(path, key), `must be true or false, got ${describe(value)}`)
  }
}

/** Checks a secret reference; returns the inline value when there is one. */
function secretRef(value: unknown, path: string, issues: Issues, mode: Mode): string | undefined {
  if (typeof value === 'string') {
    if (value.length === 0) {
      issues.add(path, 'must not be empty')
    }
    return value
  }
  if (mode === 'file' && isObj(value)) {
    const keys = Object.keys(value)
    if (keys.length === 1 && keys[0] === 'env') {
      if (typeof value.env !== 'string' || !ENV_NAME.test(value.env)) {
        issues.add(at(path, 'env'), 'must be an environment variable name')
      }
      return undefined
    }
    if (keys.length === 1 && keys[0] === 'file') {
      if (typeof value.file !== 'string' || value.file.length === 0) {
        issues.add(at(path, 'file'), 'must be a file path')
      }
      return undefined
    }
  }
  issues.add(
    path,
    mode === 'file'
      ? 'must be a string, { "env": "NAME" } or { "file": "path" }'
      : `must be a string, got ${describe(value)}`,
  )
  return undefined
}

/** Whether `url` is https, or http to a loopback host. */
function isSecureUrl(url: URL): boolean {
  if (url.protocol === 'https:') {
    return true
  }
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
}

function serviceUrl(obj: Obj, key: string, path: string, issues: Issues, required: boolean): void {
  if (!nonEmptyString(obj, key, path, issues, required)) {
    return
  }
  let url: URL
  try {
    url = new URL(obj[key] as string)
  } catch {
    issues.add(at(path, key), 'must be an absolute URL')
    return
  }
  if (!isSecureUrl(url) || url.username !== '' || url.password !== '') {
    issues.add(at(path, key), 'must be an https URL without userinfo (http only for localhost)')
  }
}

function audience(obj: Obj, path: string, issues: Issues): void {
  const value = obj.audience
  if (value === undefined) {
    issues.add(at(path, 'audience'), 'is required')
  } else if (
    !(typeof value === 'string' && value.length > 0) &&
    !(
      Array.isArray(value) &&
      value.length > 0 &&
      value.every((a) => typeof a === 'string' && a.length > 0)
    )
  ) {
    issues.add(at(path, 'audience'), 'must be a non-empty string or array of strings')
  }
}

/** Decodes an unpadded base64url secret; `undefined` when it is not one. */
export function decodeSecret(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) {
    return undefined
  }
  try {
    return fromBase64Url(text)
  } catch {
    return undefined
  }
}

function isKeyLike(value: unknown): value is { algorithm: string; type: string } {
  return (
    isObj(value) &&
    typeof value.algorithm === 'string' &&
    typeof value.type === 'string' &&
    typeof value.keyId === 'string' &&
    typeof value.sign === 'function'
  )
}

function checkHmacSecret(value: unknown, path: string, issues: Issues, mode: Mode): void {
  if (value === undefined) {
    issues.add(path, 'is required for hmac-sha256 (unpadded base64url, at least 32 bytes)')
    return
  }
  if (mode === 'runtime' && value instanceof Uint8Array) {
    if (value.byteLength < MIN_SECRET_BYTES) {
      issues.add(path, `must be at least ${MIN_SECRET_BYTES} bytes`)
    }
    return
  }
  if (mode === 'runtime' && isKeyLike(value)) {
    if (value.algorithm !== 'hmac-sha256' || value.type !== 'secret') {
      issues.add(path, 'must be an hmac-sha256 secret key')
    }
    return
  }
  const inline = secretRef(value, path, issues, mode)
  if (inline !== undefined && inline.length > 0) {
    const bytes = decodeSecret(inline)
    if (bytes === undefined) {
      issues.add(path, 'must be unpadded base64url')
    } else if (bytes.byteLength < MIN_SECRET_BYTES) {
      issues.add(path, `must decode to at least ${MIN_SECRET_BYTES} bytes`)
    }
  }
}

/**
 * Whether every segment of a parsed pathname means the same to every server: after one
 * percent-decoding no segment is only dots and spaces (`.`, `..`, `...`, `.. `), holds a slash,
 * backslash, NUL, `;` (path parameters: Tomcat reads `..;` as `..`) or another `%`-escape (a
 * server that decodes twice).
 */
export function pathIsUnambiguous(pathname: string): boolean {
  for (const segment of pathname.split('/')) {
    let decoded = segment
    if (segment.includes('%')) {
      try {
        decoded = decodeURIComponent(segment)
      } catch {
        return false
      }
    }
    if (/^[.\s]+$/.test(decoded) || /[/\\\0;]|%[0-9a-f]{2}/i.test(decoded)) {
      return false
    }
  }
  return true
}

/** The exact origin and path prefix of a base URL, or an issue. */
export function parseBaseUrl(
  text: string,
): { url: URL; origin: string; prefix: string } | { error: string } {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { error: 'must be an https URL without userinfo' }
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username !== '' ||
    url.password !== '' ||
    /^[a-z][a-z0-9+.-]*:\/*[^/?#]*@/i.test(text.trim())
  ) {
    return { error: 'must be an https URL without userinfo' }
  }
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    return { error: 'must not have a query or fragment' }
  }
  if (/%2f|%5c/i.test(url.pathname)) {
    return { error: 'must not contain an encoded slash or backslash in its path' }
  }
  if (!pathIsUnambiguous(url.pathname) || /\\|%2e/i.test(text)) {
    return {
      error:
        'must not have a path segment that servers normalise differently (";", "..;", encoded dots, "%25")',
    }
  }
  const prefix = url.pathname.replace(/\/+$/, '')
  return { url, origin: url.origin, prefix }
}

function checkTarget(
  value: unknown,
  path: string,
  issues: Issues,
  mode: Mode,
  localDevelopment: boolean,
): void {
  if (!isObj(value)) {
    issues.add(path, `must be an object, got ${describe(value)}`)
    return
  }
  allowOnly(
    value,
    [
      'id',
      'baseUrl',
      'signing',
      'timeoutMs',
      'maxBodyBytes',
      'allowPrivateNetwork',
      'allowHttp',
      'skapiCompat',
    ],
    path,
    issues,
  )
  if (nonEmptyString(value, 'id', path, issues, true) && !TARGET_ID.test(value.id as string)) {
    issues.add(at(path, 'id'), 'must be 1-64 characters of A-Z a-z 0-9 . _ -')
  }
  boolean(value, 'allowPrivateNetwork', path, issues)
  boolean(value, 'allowHttp', path, issues)
  if (nonEmptyString(value, 'baseUrl', path, issues, true)) {
    const parsed = parseBaseUrl(value.baseUrl as string)
    if ('error' in parsed) {
      issues.add(at(path, 'baseUrl'), parsed.error)
    } else {
      if (parsed.url.protocol === 'http:' && value.allowHttp !== true && !localDevelopment) {
        issues.add(
          at(path, 'baseUrl'),
          'must be an https URL; set allowHttp: true on the target (or localDevelopment: true) for plain http',
        )
      }
      const refusal = hostRefusal(parsed.url.hostname, {
        allowPrivateNetwork: value.allowPrivateNetwork === true,
      })
      if (refusal !== undefined) {
        const never = hostRefusal(parsed.url.hostname, { allowPrivateNetwork: true }) !== undefined
        issues.add(
          at(path, 'baseUrl'),
          never
            ? `${refusal}, which the relay never connects to`
            : `${refusal}; set allowPrivateNetwork: true to allow private and loopback hosts`,
        )
      }
    }
  }
  integer(value, 'timeoutMs', path, issues, 1, 300_000)
  integer(value, 'maxBodyBytes', path, issues, 1, 64 * 1024 * 1024)
  const signing = value.signing
  if (signing !== undefined) {
    const sp = at(path, 'signing')
    if (!isObj(signing)) {
      issues.add(sp, `must be an object, got ${describe(signing)}`)
    } else {
      allowOnly(signing, ['algorithm', 'secret', 'keyId'], sp, issues)
      const algorithm = signing.algorithm ?? 'ed25519'
      if (algorithm !== 'ed25519' && algorithm !== 'hmac-sha256') {
        issues.add(at(sp, 'algorithm'), 'must be "ed25519" or "hmac-sha256"')
      } else if (algorithm === 'hmac-sha256') {
        checkHmacSecret(signing.secret, at(sp, 'secret'), issues, mode)
      } else if (signing.secret !== undefined) {
        issues.add(at(sp, 'secret'), 'is only for hmac-sha256; ed25519 signs with the relay keys')
      }
      if (
        signing.keyId !== undefined &&
        (typeof signing.keyId !== 'string' || !KEY_ID.test(signing.keyId))
      ) {
        issues.add(at(sp, 'keyId'), 'must be 1-128 visible ASCII characters')
      }
    }
  }
  const skapi = value.skapiCompat
  if (skapi !== undefined) {
    const kp = at(path, 'skapiCompat')
    if (!isObj(skapi)) {
      issues.add(kp, `must be an object, got ${describe(skapi)}`)
    } else {
      allowOnly(skapi, ['apiKey'], kp, issues)
      if (skapi.apiKey === undefined) {
        issues.add(at(kp, 'apiKey'), 'is required')
      } else {
        secretRef(skapi.apiKey, at(kp, 'apiKey'), issues, mode)
      }
    }
  }
}

function checkTargets(
  value: unknown,
  issues: Issues,
  mode: Mode,
  localDevelopment: unknown,
): boolean {
  if (localDevelopment !== undefined && typeof localDevelopment !== 'boolean') {
    issues.add('localDevelopment', `must be true or false, got ${describe(localDevelopment)}`)
  }
  if (value === undefined) {
    issues.add('targets', 'is required')
    return false
  }
  if (!Array.isArray(value)) {
    issues.add('targets', `must be an array, got ${describe(value)}`)
    return false
  }
  if (value.length === 0) {
    issues.add('targets', 'must list at least one target')
  }
  const ids = new Map<string, number>()
  const prefixes = new Map<string, number>()
  let needsKeys = false
  value.forEach((target: unknown, i) => {
    const path = `targets[${i}]`
    checkTarget(target, path, issues, mode, localDevelopment === true)
    if (!isObj(target)) {
      return
    }
    if (typeof target.id === 'string') {
      const first = ids.get(target.id)
      if (first !== undefined) {
        issues.add(at(path, 'id'), `duplicates targets[${first}].id`)
      } else {
        ids.set(target.id, i)
      }
    }
    if (typeof target.baseUrl === 'string') {
      const parsed = parseBaseUrl(target.baseUrl)
      if (!('error' in parsed)) {
        const key = parsed.origin + parsed.prefix
        const first = prefixes.get(key)
        if (first !== undefined) {
          issues.add(at(path, 'baseUrl'), `duplicates targets[${first}].baseUrl`)
        } else {
          prefixes.set(key, i)
        }
      }
    }
    const signing = target.signing
    if (!isObj(signing) || (signing.algorithm ?? 'ed25519') === 'ed25519') {
      needsKeys = true
    }
  })
  return needsKeys
}

function checkAuth(value: unknown, issues: Issues, mode: Mode): void {
  const path = 'auth'
  if (value === undefined) {
    issues.add(path, 'is required')
    return
  }
  if (!isObj(value)) {
    issues.add(path, `must be an object, got ${describe(value)}`)
    return
  }
  const types =
    mode === 'file'
      ? ['countersign', 'introspection', 'oidc']
      : ['countersign', 'introspection', 'oidc', 'custom']
  switch (value.type) {
    case 'countersign': {
      allowOnly(
        value,
        mode === 'file'
          ? ['type', 'issuer', 'audience', 'jwks', 'jwksUrl', 'cache']
          : ['type', 'issuer', 'audience', 'jwks', 'jwksUrl', 'keys', 'denylist', 'cache'],
        path,
        issues,
      )
      nonEmptyString(value, 'issuer', path, issues, true)
      audience(value, path, issues)
      const given = ['jwks', 'jwksUrl', 'keys'].filter((k) => value[k] !== undefined)
      if (given.length !== 1) {
        issues.add(
          path,
          `must have exactly one of ${mode === 'file' ? 'jwks or jwksUrl' : 'jwks, jwksUrl or keys'}`,
        )
      }
      if (value.jwks !== undefined && !(isObj(value.jwks) && Array.isArray(value.jwks.keys))) {
        issues.add(at(path, 'jwks'), 'must be a JWKS object: { "keys": [ … ] }')
      }
      serviceUrl(value, 'jwksUrl', path, issues, false)
      if (
        value.keys !== undefined &&
        typeof value.keys !== 'function' &&
        !Array.isArray(value.keys) &&
        !(isObj(value.keys) && typeof value.keys.get === 'function')
      ) {
        issues.add(at(path, 'keys'), 'must be a key ring, an array of keys or a kid resolver')
      }
      if (
        value.denylist !== undefined &&
        !(isObj(value.denylist) && typeof value.denylist.get === 'function')
      ) {
        issues.add(at(path, 'denylist'), 'must be a key-value store (with get)')
      }
      if (value.cache !== undefined && value.cache !== false) {
        if (isObj(value.cache)) {
          const cachePath = at(path, 'cache')
          allowOnly(value.cache, ['maxEntries', 'maxAgeMs'], cachePath, issues)
          integer(value.cache, 'maxEntries', cachePath, issues, 1, 1_000_000)
          integer(value.cache, 'maxAgeMs', cachePath, issues, 1, 3_600_000)
        } else {
          issues.add(
            at(path, 'cache'),
            `must be false or { maxEntries, maxAgeMs }, got ${describe(value.cache)}`,
          )
        }
      }
      return
    }
    case 'introspection':
      allowOnly(
        value,
        ['type', 'url', 'apiKey', 'issuer', 'audience', 'cacheMs', 'timeoutMs'],
        path,
        issues,
      )
      serviceUrl(value, 'url', path, issues, true)
      nonEmptyString(value, 'issuer', path, issues, true)
      audience(value, path, issues)
      if (value.apiKey === undefined) {
        issues.add(at(path, 'apiKey'), 'is required')
      } else {
        secretRef(value.apiKey, at(path, 'apiKey'), issues, mode)
      }
      integer(value, 'cacheMs', path, issues, 0, 3_600_000)
      integer(value, 'timeoutMs', path, issues, 1, 60_000)
      return
    case 'oidc':
      allowOnly(value, ['type', 'issuer', 'audience', 'jwksUrl', 'algorithms'], path, issues)
      nonEmptyString(value, 'issuer', path, issues, true)
      audience(value, path, issues)
      serviceUrl(value, 'jwksUrl', path, issues, true)
      if (
        value.algorithms !== undefined &&
        !(
          Array.isArray(value.algorithms) &&
          value.algorithms.length > 0 &&
          value.algorithms.every((a) => typeof a === 'string' && JWS_ALGS.includes(a))
        )
      ) {
        issues.add(at(path, 'algorithms'), `must be a non-empty array of ${JWS_ALGS.join(', ')}`)
      }
      return
    case 'custom':
      if (mode === 'runtime') {
        allowOnly(value, ['type', 'authenticate'], path, issues)
        if (typeof value.authenticate !== 'function') {
          issues.add(at(path, 'authenticate'), 'must be a function (request) => user')
        }
        return
      }
      break
    default:
      break
  }
  issues.add(at(path, 'type'), `must be one of ${types.join(', ')}`)
}

function checkRateLimit(value: unknown, issues: Issues): void {
  if (value === undefined) {
    return
  }
  if (!isObj(value)) {
    issues.add('rateLimit', `must be an object, got ${describe(value)}`)
    return
  }
  allowOnly(value, ['perUser', 'perTarget'], 'rateLimit', issues)
  for (const key of ['perUser', 'perTarget']) {
    const rule = value[key]
    const path = at('rateLimit', key)
    if (rule === undefined) {
      continue
    }
    if (!isObj(rule)) {
      issues.add(path, `must be an object, got ${describe(rule)}`)
      continue
    }
    allowOnly(rule, ['limit', 'windowMs'], path, issues)
    integer(rule, 'limit', path, issues, 1, 1_000_000_000, true)
    integer(rule, 'windowMs', path, issues, 1000, 31 * 24 * 3_600_000, true)
  }
}

function checkCors(value: unknown, issues: Issues): void {
  if (value === undefined) {
    return
  }
  if (!isObj(value)) {
    issues.add('cors', `must be an object, got ${describe(value)}`)
    return
  }
  allowOnly(value, ['allowedOrigins', 'maxAgeSeconds'], 'cors', issues)
  const origins = value.allowedOrigins
  if (!Array.isArray(origins)) {
    issues.add('cors.allowedOrigins', 'must be an array of origins')
  } else {
    origins.forEach((origin: unknown, i) => {
      let ok = false
      if (typeof origin === 'string') {
        try {
          ok = new URL(origin).origin === origin
        } catch {
          ok = false
        }
      }
      if (!ok) {
        issues.add(`cors.allowedOrigins[${i}]`, 'must be an origin such as https://app.example')
      }
    })
  }
  integer(value, 'maxAgeSeconds', 'cors', issues, 0, 86_400)
}

function checkLimits(obj: Obj, issues: Issues): void {
  integer(obj, 'maxRequestBytes', '', issues, 1, 64 * 1024 * 1024)
  integer(obj, 'maxJsonDepth', '', issues, 1, 1000)
  integer(obj, 'maxBatchSize', '', issues, 1, 100)
  integer(obj, 'signatureTtlSeconds', '', issues, 1, 3600)
  integer(obj, 'connectTimeoutMs', '', issues, 1, 60_000)
}

function checkFileKeys(value: unknown, issues: Issues, required: boolean): void {
  if (value === undefined) {
    if (required) {
      issues.add('keys', 'is required: a target signs with ed25519, which uses the relay keys')
    }
    return
  }
  if (!Array.isArray(value)) {
    issues.add('keys', `must be an array, got ${describe(value)}`)
    return
  }
  if (value.length === 0 && required) {
    issues.add('keys', 'must list at least one key: a target signs with ed25519')
  }
  value.forEach((key: unknown, i) => {
    const path = `keys[${i}]`
    if (!isObj(key)) {
      issues.add(path, `must be an object, got ${describe(key)}`)
      return
    }
    allowOnly(key, ['privateJwk', 'pem', 'keyId', 'primary', 'notBefore', 'notAfter'], path, issues)
    const given = ['privateJwk', 'pem'].filter((k) => key[k] !== undefined)
    if (given.length !== 1) {
      issues.add(path, 'must have exactly one of privateJwk or pem')
    }
    if (key.pem !== undefined) {
      const inline = secretRef(key.pem, at(path, 'pem'), issues, 'file')
      if (inline !== undefined && !inline.includes('-----BEGIN PRIVATE KEY-----')) {
        issues.add(at(path, 'pem'), 'must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)')
      }
    }
    const jwk = key.privateJwk
    if (jwk !== undefined) {
      const jp = at(path, 'privateJwk')
      if (!isObj(jwk)) {
        issues.add(jp, `must be a private JWK object, got ${describe(jwk)}`)
      } else if (!('env' in jwk) && !('file' in jwk)) {
        if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
          issues.add(jp, 'must be an Ed25519 JWK (kty "OKP", crv "Ed25519")')
        } else if (typeof jwk.d !== 'string') {
          issues.add(jp, 'must be a private JWK (with "d")')
        }
      } else {
        secretRef(jwk, jp, issues, 'file')
      }
    }
    if (key.keyId !== undefined && (typeof key.keyId !== 'string' || !KEY_ID.test(key.keyId))) {
      issues.add(at(path, 'keyId'), 'must be 1-128 visible ASCII characters')
    }
    boolean(key, 'primary', path, issues)
    for (const name of ['notBefore', 'notAfter']) {
      const time = key[name]
      if (time !== undefined && (typeof time !== 'string' || Number.isNaN(Date.parse(time)))) {
        issues.add(at(path, name), 'must be an ISO 8601 date-time')
      }
    }
  })
}

function checkServer(value: unknown, issues: Issues): void {
  if (value === undefined) {
    return
  }
  if (!isObj(value)) {
    issues.add('server', `must be an object, got ${describe(value)}`)
    return
  }
  allowOnly(value, ['port', 'host', 'origin'], 'server', issues)
  integer(value, 'port', 'server', issues, 0, 65_535)
  nonEmptyString(value, 'host', 'server', issues, false)
  if (nonEmptyString(value, 'origin', 'server', issues, false)) {
    try {
      const url = new URL(value.origin as string)
      if (url.origin !== value.origin) {
        throw new TypeError('not an origin')
      }
    } catch {
      issues.add('server.origin', 'must be an origin such as https://relay.example')
    }
  }
}

function checkStore(value: unknown, issues: Issues): void {
  if (value === undefined) {
    return
  }
  if (!isObj(value)) {
    issues.add('store', `must be an object, got ${describe(value)}`)
    return
  }
  switch (value.type) {
    case 'memory':
      allowOnly(value, ['type', 'maxEntries'], 'store', issues)
      integer(value, 'maxEntries', 'store', issues, 1, 100_000_000)
      return
    case 'redis':
      allowOnly(value, ['type', 'url', 'prefix'], 'store', issues)
      if (value.url !== undefined) {
        secretRef(value.url, 'store.url', issues, 'file')
      }
      if (
        value.prefix !== undefined &&
        (typeof value.prefix !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(value.prefix))
      ) {
        issues.add('store.prefix', 'must be 1-64 characters of letters, digits and ._-:')
      }
      return
    case 'sqlite':
      allowOnly(value, ['type', 'path'], 'store', issues)
      nonEmptyString(value, 'path', 'store', issues, true)
      return
    default:
      issues.add('store.type', 'must be one of memory, redis, sqlite')
  }
}

/** The top-level names a relay config file and `createRelay`'s options share. */
const RELAY_OPTION_NAMES = [
  'keys',
  'targets',
  'auth',
  'store',
  'rateLimit',
  'maxRequestBytes',
  'maxJsonDepth',
  'maxBatchSize',
  'signatureTtlSeconds',
  'connectTimeoutMs',
  'audit',
  'cors',
  'localDevelopment',
] as const

/**
 * Checks a relay config file's content (already parsed from JSON) and returns it typed.
 * Every issue is reported at once, each with its JSON path.
 *
 * @example
 * ```ts
 * try {
 *   const config = validateRelayConfig(JSON.parse(text))
 * } catch (error) {
 *   // targets[1].baseUrl: must be an https or http URL without userinfo
 *   console.error(error.message)
 * }
 * ```
 *
 * @throws {@link RelayConfigError} listing every issue.
 */
export function validateRelayConfig(input: unknown): RelayFileConfig {
  const issues = new Issues()
  if (!isObj(input)) {
    issues.add('', `the relay config must be a JSON object, got ${describe(input)}`)
    throw new RelayConfigError(issues.list)
  }
  allowOnly(input, ['$schema', 'server', ...RELAY_OPTION_NAMES], '', issues)
  const needsKeys = checkTargets(input.targets, issues, 'file', input.localDevelopment)
  checkFileKeys(input.keys, issues, needsKeys)
  checkAuth(input.auth, issues, 'file')
  checkRateLimit(input.rateLimit, issues)
  checkLimits(input, issues)
  checkServer(input.server, issues)
  checkStore(input.store, issues)
  checkCors(input.cors, issues)
  if (input.audit !== undefined && !['none', 'stdout', 'stderr'].includes(input.audit as string)) {
    issues.add('audit', 'must be "none", "stdout" or "stderr"')
  }
  if (issues.list.length > 0) {
    throw new RelayConfigError(issues.list)
  }
  return input as unknown as RelayFileConfig
}

/**
 * Checks the options of `createRelay` (which may hold keys, stores and functions).
 *
 * @throws {@link RelayConfigError} listing every issue.
 */
export function checkRelayOptions(input: unknown): void {
  const issues = new Issues()
  if (!isObj(input)) {
    issues.add('', `relay options must be an object, got ${describe(input)}`)
    throw new RelayConfigError(issues.list)
  }
  allowOnly(input, [...RELAY_OPTION_NAMES, 'resolver'], '', issues)
  const needsKeys = checkTargets(input.targets, issues, 'runtime', input.localDevelopment)
  const keys = input.keys
  if (keys === undefined) {
    if (needsKeys) {
      issues.add('keys', 'is required: a target signs with ed25519, which uses the relay keys')
    }
  } else if (
    !(Array.isArray(keys) && keys.every(isKeyLike)) &&
    !(isObj(keys) && typeof keys.signingKey === 'function' && typeof keys.jwks === 'function')
  ) {
    issues.add('keys', 'must be a key ring (createKeyRing) or an array of keys (importKey)')
  }
  checkAuth(input.auth, issues, 'runtime')
  checkRateLimit(input.rateLimit, issues)
  checkLimits(input, issues)
  checkCors(input.cors, issues)
  if (input.store !== undefined && !(isObj(input.store) && typeof input.store.hit === 'function')) {
    issues.add('store', 'must be a store with hit(key, { limit, windowMs })')
  }
  for (const name of ['audit', 'resolver']) {
    if (input[name] !== undefined && typeof input[name] !== 'function') {
      issues.add(name, 'must be a function')
    }
  }
  if (issues.list.length > 0) {
    throw new RelayConfigError(issues.list)
  }
}
