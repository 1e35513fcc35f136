import { toBase64Url } from '@countersign/core'
import { describe, expect, it } from 'vitest'
import { RelayConfigError, validateRelayConfig } from './validate-relay-config.ts'

const SECRET = toBase64Url(new Uint8Array(32).fill(9))

const valid = {
  $schema: 'https://countersign.dev/schema/relay.json',
  server: { port: 8787, host: '127.0.0.1', origin: 'https://relay.example' },
  keys: [{ keyId: 'relay-2026-11', pem: { env: 'RELAY_KEY_PEM' }, primary: true }],
  auth: {
    type: 'countersign',
    issuer: 'https://tokens.example',
    audience: ['app'],
    jwksUrl: 'https://tokens.example/.well-known/jwks.json',
  },
  targets: [
    { id: 'orders', baseUrl: 'https://api.example.com/v1', timeoutMs: 5000, maxBodyBytes: 65536 },
    {
      id: 'legacy',
      baseUrl: 'https://legacy.example.com',
      signing: { algorithm: 'hmac-sha256', secret: SECRET, keyId: 'legacy-1' },
      skapiCompat: { apiKey: { env: 'LEGACY_API_KEY' } },
    },
    {
      id: 'local',
      baseUrl: 'http://127.0.0.1:3000/api',
      allowPrivateNetwork: true,
      allowHttp: true,
    },
  ],
  store: { type: 'redis', url: { env: 'REDIS_URL' }, prefix: 'relay' },
  rateLimit: {
    perUser: { limit: 60, windowMs: 60000 },
    perTarget: { limit: 1000, windowMs: 60000 },
  },
  maxRequestBytes: 65536,
  maxJsonDepth: 20,
  maxBatchSize: 5,
  signatureTtlSeconds: 60,
  connectTimeoutMs: 3000,
  audit: 'stdout',
  cors: { allowedOrigins: ['https://app.example'], maxAgeSeconds: 600 },
}

function issuesOf(input: unknown): string[] {
  try {
    validateRelayConfig(input)
  } catch (error) {
    expect(error).toBeInstanceOf(RelayConfigError)
    expect(error).toBeInstanceOf(TypeError)
    return (error as Error).message.split('\n')
  }
  return []
}

function withTarget(target: unknown): unknown {
  return { ...valid, targets: [valid.targets[0], target] }
}

describe('validateRelayConfig', () => {
  it('accepts a complete config and returns it typed', () => {
    expect(validateRelayConfig(valid)).toBe(valid)
  })

  it.each([
    [
      { id: 'x', baseUrl: 'ftp://api.example.com' },
      'targets[1].baseUrl: must be an https URL without userinfo',
    ],
    [
      { id: 'x', baseUrl: 'https://user:pw@api.example.com' },
      'targets[1].baseUrl: must be an https URL without userinfo',
    ],
    [
      { id: 'x', baseUrl: 'https://@api.example.com' },
      'targets[1].baseUrl: must be an https URL without userinfo',
    ],
    [
      { id: 'x', baseUrl: 'not a url' },
      'targets[1].baseUrl: must be an https URL without userinfo',
    ],
    [
      { id: 'x', baseUrl: 'https://api.example.com/v1?x=1' },
      'targets[1].baseUrl: must not have a query or fragment',
    ],
    [
      { id: 'x', baseUrl: 'https://api.example.com/a%2Fb' },
      'targets[1].baseUrl: must not contain an encoded slash or backslash in its path',
    ],
    [
      { id: 'x', baseUrl: 'https://169.254.169.254' },
      'targets[1].baseUrl: host 169.254.169.254 is a cloud metadata address, which the relay never connects to',
    ],
    [
      { id: 'x', baseUrl: 'https://[::ffff:169.254.169.254]/' },
      'targets[1].baseUrl: host ::ffff:a9fe:a9fe is a cloud metadata address, which the relay never connects to',
    ],
    [
      { id: 'x', baseUrl: 'https://0.0.0.0:8080' },
      'targets[1].baseUrl: host 0.0.0.0 is the unspecified address, which the relay never connects to',
    ],
    [{ id: 'x', baseUrl: 'https://10.1.2.3:8080', allowPrivateNetwork: true }, undefined],
    [
      { id: 'x', baseUrl: 'https://169.254.169.254', allowPrivateNetwork: true },
      'targets[1].baseUrl: host 169.254.169.254 is a cloud metadata address, which the relay never connects to',
    ],
    [
      { id: 'x', baseUrl: 'https://2130706433' },
      'targets[1].baseUrl: host 127.0.0.1 is a loopback address; set allowPrivateNetwork: true to allow private and loopback hosts',
    ],
    [
      { id: 'x', baseUrl: 'https://localhost.:8080' },
      'targets[1].baseUrl: host localhost is a loopback name; set allowPrivateNetwork: true to allow private and loopback hosts',
    ],
    [
      { id: 'x', baseUrl: 'https://[::ffff:10.0.0.1]' },
      'targets[1].baseUrl: host ::ffff:a00:1 is a private (RFC 1918) address; set allowPrivateNetwork: true to allow private and loopback hosts',
    ],
    [{ id: 'orders', baseUrl: 'https://b.example' }, 'targets[1].id: duplicates targets[0].id'],
    [
      { id: 'x', baseUrl: 'https://api.example.com/v1/' },
      'targets[1].baseUrl: duplicates targets[0].baseUrl',
    ],
    [{ baseUrl: 'https://b.example' }, 'targets[1].id: is required'],
    [
      { id: 'x', baseUrl: 'https://b.example', timeout: 5 },
      'targets[1].timeout: unknown option (expected one of id, baseUrl, signing, timeoutMs, maxBodyBytes, allowPrivateNetwork, allowHttp, skapiCompat)',
    ],
    [
      { id: 'x', baseUrl: 'https://b.example', allowPrivateNetwork: 'yes' },
      'targets[1].allowPrivateNetwork: must be true or false, got a string',
    ],
    [
      { id: 'x', baseUrl: 'https://b.example', signing: { algorithm: 'hmac-sha1' } },
      'targets[1].signing.algorithm: must be "ed25519" or "hmac-sha256"',
    ],
    [
      { id: 'x', baseUrl: 'https://b.example', signing: { algorithm: 'hmac-sha256' } },
      'targets[1].signing.secret: is required for hmac-sha256 (unpadded base64url, at least 32 bytes)',
    ],
    [
      {
        id: 'x',
        baseUrl: 'https://b.example',
        signing: { algorithm: 'hmac-sha256', secret: 'c2hvcnQ' },
      },
      'targets[1].signing.secret: must decode to at least 32 bytes',
    ],
    [
      {
        id: 'x',
        baseUrl: 'https://b.example',
        signing: { algorithm: 'hmac-sha256', secret: `${SECRET}==` },
      },
      'targets[1].signing.secret: must be unpadded base64url',
    ],
    [
      { id: 'x', baseUrl: 'https://b.example', signing: { secret: SECRET } },
      'targets[1].signing.secret: is only for hmac-sha256; ed25519 signs with the relay keys',
    ],
    [
      { id: 'x', baseUrl: 'https://b.example', skapiCompat: {} },
      'targets[1].skapiCompat.apiKey: is required',
    ],
    [
      { id: 'x', baseUrl: 'https://b.example', skapiCompat: { apiKey: { vault: 'x' } } },
      'targets[1].skapiCompat.apiKey: must be a string, { "env": "NAME" } or { "file": "path" }',
    ],
    [
      { id: 'x', baseUrl: 'https://b.example', maxBodyBytes: 0 },
      'targets[1].maxBodyBytes: must be an integer from 1 to 67108864',
    ],
  ])('reports %j', (target, message) => {
    expect(issuesOf(withTarget(target))).toEqual(message === undefined ? [] : [message])
  })

  it.each([
    [{ type: 'magic' }, 'auth.type: must be one of countersign, introspection, oidc'],
    [{ type: 'custom' }, 'auth.type: must be one of countersign, introspection, oidc'],
    [
      { type: 'countersign', issuer: 'x', audience: 'a' },
      'auth: must have exactly one of jwks or jwksUrl',
    ],
    [
      { type: 'countersign', issuer: 'x', audience: [], jwksUrl: 'https://x/jwks' },
      'auth.audience: must be a non-empty string or array of strings',
    ],
    [
      { type: 'countersign', issuer: 'x', audience: 'a', jwksUrl: 'http://tokens.example/jwks' },
      'auth.jwksUrl: must be an https URL without userinfo (http only for localhost)',
    ],
    [
      {
        type: 'introspection',
        url: 'https://t.example/oauth/introspect',
        issuer: 'i',
        audience: 'a',
      },
      'auth.apiKey: is required',
    ],
    [
      {
        type: 'introspection',
        url: 'https://t.example/i',
        apiKey: 'k',
        issuer: 'i',
        audience: 'a',
        cacheMs: -1,
      },
      'auth.cacheMs: must be an integer from 0 to 3600000',
    ],
    [
      { type: 'oidc', issuer: 'x', audience: 'a', jwksUrl: 'https://x/jwks', algorithms: ['none'] },
      'auth.algorithms: must be a non-empty array of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519',
    ],
  ])('reports auth %j', (auth, message) => {
    expect(issuesOf({ ...valid, auth })).toEqual([message])
  })

  it('reports top-level problems with their paths, all at once', () => {
    expect(
      issuesOf({
        targets: [],
        auth: { type: 'oidc', issuer: 'x', audience: 'a', jwksUrl: 'https://x/jwks' },
        keys: [{ pem: 'not a pem' }, { privateJwk: { kty: 'RSA' } }, {}],
        rateLimit: { perUser: { limit: 0 } },
        maxBatchSize: 1000,
        audit: 'syslog',
        store: { type: 'mongo' },
        server: { port: 70000 },
        cors: { allowedOrigins: ['https://app.example/path'] },
        extra: true,
      }),
    ).toEqual([
      'extra: unknown option (expected one of $schema, server, keys, targets, auth, store, rateLimit, maxRequestBytes, maxJsonDepth, maxBatchSize, signatureTtlSeconds, connectTimeoutMs, audit, cors, localDevelopment)',
      'targets: must list at least one target',
      'keys[0].pem: must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)',
      'keys[1].privateJwk: must be an Ed25519 JWK (kty "OKP", crv "Ed25519")',
      'keys[2]: must have exactly one of privateJwk or pem',
      'rateLimit.perUser.limit: must be an integer from 1 to 1000000000',
      'rateLimit.perUser.windowMs: is required',
      'maxBatchSize: must be an integer from 1 to 100',
      'server.port: must be an integer from 0 to 65535',
      'store.type: must be one of memory, redis, sqlite',
      'cors.allowedOrigins[0]: must be an origin such as https://app.example',
      'audit: must be "none", "stdout" or "stderr"',
    ])
  })

  it('requires keys when a target signs with ed25519, and not otherwise', () => {
    const { keys: _keys, ...noKeys } = valid
    expect(issuesOf(noKeys)).toEqual([
      'keys: is required: a target signs with ed25519, which uses the relay keys',
    ])
    expect(issuesOf({ ...noKeys, targets: [valid.targets[1]] })).toEqual([])
  })

  it('checks the verified-token cache settings of countersign auth', () => {
    const withCache = (cache: unknown) => ({ ...valid, auth: { ...valid.auth, cache } })
    expect(issuesOf(withCache(false))).toEqual([])
    expect(issuesOf(withCache({}))).toEqual([])
    expect(issuesOf(withCache({ maxEntries: 500, maxAgeMs: 30_000 }))).toEqual([])
    expect(issuesOf(withCache(true)).join('\n')).toContain('auth.cache: must be false or')
    expect(issuesOf(withCache({ maxEntries: 0 })).join('\n')).toContain('auth.cache.maxEntries')
    expect(issuesOf(withCache({ maxAgeMs: 7_200_000 })).join('\n')).toContain('auth.cache.maxAgeMs')
    expect(issuesOf(withCache({ ttl: 5 })).join('\n')).toContain('auth.cache.ttl')
    // The denylist is a store: code only.
    expect(issuesOf({ ...valid, auth: { ...valid.auth, denylist: {} } }).join('\n')).toContain(
      'auth.denylist',
    )
  })

  it('allows plain http targets only with allowHttp or localDevelopment', () => {
    const http = { id: 'dev', baseUrl: 'http://127.0.0.1:3000/dev', allowPrivateNetwork: true }
    expect(issuesOf(withTarget(http))).toEqual([
      'targets[1].baseUrl: must be an https URL; set allowHttp: true on the target (or localDevelopment: true) for plain http',
    ])
    expect(issuesOf(withTarget({ ...http, allowHttp: true }))).toEqual([])
    expect(issuesOf({ ...(withTarget(http) as object), localDevelopment: true })).toEqual([])
    expect(issuesOf({ ...valid, localDevelopment: 'yes' })).toEqual([
      'localDevelopment: must be true or false, got a string',
    ])
  })

  it('requires issuer and audience for introspection', () => {
    const auth = { type: 'introspection', url: 'https://t.example/i', apiKey: { env: 'K' } }
    expect(issuesOf({ ...valid, auth })).toEqual([
      'auth.issuer: is required',
      'auth.audience: is required',
    ])
    expect(
      issuesOf({ ...valid, auth: { ...auth, issuer: 'https://t.example', audience: ['a'] } }),
    ).toEqual([])
  })

  it('refuses non-objects', () => {
    expect(issuesOf(null)).toEqual(['the relay config must be a JSON object, got null'])
    expect(issuesOf([])).toEqual(['the relay config must be a JSON object, got an array'])
  })

  it('never quotes a secret in a message', () => {
    const message = issuesOf(
      withTarget({
        id: 'x',
        baseUrl: 'https://b.example',
        signing: { algorithm: 'hmac-sha256', secret: 'c2hvcnQ' },
      }),
    ).join('\n')
    expect(message).not.toContain('c2hvcnQ')
  })
})
