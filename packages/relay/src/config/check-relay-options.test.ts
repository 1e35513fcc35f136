import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  checkRelayOptions,
  type RelayFileAuth,
  type RelayFileConfig,
  type RelayFileKey,
  type RelayFileTarget,
  type SecretRef,
  validateRelayConfig,
} from './validate-relay-config.ts'

const auth = { type: 'oidc', issuer: 'x', audience: 'a', jwksUrl: 'https://x/jwks' }
const target = {
  id: 'hmac',
  baseUrl: 'https://api.example.com',
  signing: { algorithm: 'hmac-sha256', secret: new Uint8Array(32) },
}

function issuesOf(check: (input: unknown) => unknown, input: unknown): string[] {
  try {
    check(input)
  } catch (error) {
    return (error as Error).message.split('\n')
  }
  return []
}

describe('the two read modes of one shape', () => {
  it('accepts runtime objects only in code', () => {
    expect(issuesOf(checkRelayOptions, { auth, targets: [target], resolver: () => [] })).toEqual([])
    expect(issuesOf(validateRelayConfig, { auth, targets: [target] })).toEqual([
      'targets[0].signing.secret: must be a string, { "env": "NAME" } or { "file": "path" }',
    ])
  })

  it('names the members of its own mode in unknown-option hints', () => {
    expect(issuesOf(checkRelayOptions, { auth, targets: [target], server: {} })).toEqual([
      'server: unknown option (expected one of keys, targets, auth, store, rateLimit, maxRequestBytes, maxJsonDepth, maxBatchSize, signatureTtlSeconds, connectTimeoutMs, audit, cors, localDevelopment, resolver, onTokenCache)',
    ])
    expect(issuesOf(validateRelayConfig, { auth, targets: [], resolver: 'x' })[0]).toBe(
      'resolver: unknown option (expected one of $schema, server, keys, targets, auth, store, rateLimit, maxRequestBytes, maxJsonDepth, maxBatchSize, signatureTtlSeconds, connectTimeoutMs, audit, cors, localDevelopment)',
    )
  })

  it('reads secrets by reference only in the file', () => {
    const ref = { ...target, skapiCompat: { apiKey: { env: 'API_KEY' } } }
    expect(issuesOf(checkRelayOptions, { auth, targets: [ref] })).toEqual([
      'targets[0].skapiCompat.apiKey: must be a string, got an object',
    ])
  })

  it('has the custom authenticator and code key sources only in code', () => {
    const custom = { type: 'custom', authenticate: () => undefined }
    expect(issuesOf(checkRelayOptions, { auth: custom, targets: [target] })).toEqual([])
    expect(issuesOf(checkRelayOptions, { auth: { type: 'custom' }, targets: [target] })).toEqual([
      'auth.authenticate: must be a function (request) => user',
    ])
    const withKeys = { type: 'countersign', issuer: 'i', audience: 'a', keys: [] }
    expect(issuesOf(checkRelayOptions, { auth: withKeys, targets: [target] })).toEqual([])
    expect(issuesOf(validateRelayConfig, { auth: withKeys, targets: [target] })).toContain(
      'auth.keys: unknown option (expected one of type, issuer, audience, jwks, jwksUrl, cache)',
    )
  })

  it('reports a null where a value belongs, not as if it were absent', () => {
    const nullAlgorithm = { ...target, signing: { algorithm: null } }
    expect(issuesOf(checkRelayOptions, { auth, targets: [nullAlgorithm], keys: [] })).toEqual([
      'targets[0].signing.algorithm: must be "ed25519" or "hmac-sha256"',
    ])
  })

  it('requires the file $schema to be a string', () => {
    expect(issuesOf(validateRelayConfig, { $schema: 1, auth, targets: [target] })).toContain(
      '$schema: must be a non-empty string, got a number',
    )
  })
})

describe('the file types the shape states', () => {
  // Checked by `pnpm typecheck` (tsconfig.test.json).
  it('names each part and its members', () => {
    expectTypeOf<RelayFileConfig['targets']>().toEqualTypeOf<RelayFileTarget[]>()
    expectTypeOf<RelayFileConfig['auth']>().toEqualTypeOf<RelayFileAuth>()
    expectTypeOf<NonNullable<RelayFileConfig['keys']>>().toEqualTypeOf<RelayFileKey[]>()
    expectTypeOf<RelayFileTarget['id']>().toEqualTypeOf<string>()
    expectTypeOf<RelayFileTarget['timeoutMs']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<NonNullable<RelayFileTarget['skapiCompat']>['apiKey']>().toEqualTypeOf<SecretRef>()
    expectTypeOf<RelayFileConfig['audit']>().toEqualTypeOf<
      'none' | 'stdout' | 'stderr' | undefined
    >()
    expectTypeOf<RelayFileAuth['type']>().toEqualTypeOf<'countersign' | 'introspection' | 'oidc'>()
    expectTypeOf<
      Extract<RelayFileAuth, { type: 'introspection' }>['apiKey']
    >().toEqualTypeOf<SecretRef>()
    expectTypeOf<'resolver' extends keyof RelayFileConfig ? true : false>().toEqualTypeOf<false>()
  })
})

describe('names that objects inherit', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'are not variants or members: %s',
    (name) => {
      const parsed = JSON.parse(
        `{"auth": {"type": "${name}"}, "targets": [], "${name}": {}}`,
      ) as unknown
      expect(issuesOf(validateRelayConfig, parsed)).toEqual([
        `${name}: unknown option (expected one of $schema, server, keys, targets, auth, store, rateLimit, maxRequestBytes, maxJsonDepth, maxBatchSize, signatureTtlSeconds, connectTimeoutMs, audit, cors, localDevelopment)`,
        'targets: must list at least one target',
        'auth.type: must be one of countersign, introspection, oidc',
      ])
      const store = JSON.parse(`{"type": "${name}"}`) as unknown
      expect(issuesOf(validateRelayConfig, { auth, targets: [target], store })).toContain(
        'store.type: must be one of memory, redis, sqlite',
      )
    },
  )
})
