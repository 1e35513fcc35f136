import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { relayConfigJsonSchema } from './relay-config-json-schema.ts'
import { validateRelayConfig } from './validate-relay-config.ts'

type Schema = { properties?: Record<string, Schema>; oneOf?: Schema[]; required?: string[] }

const committed = JSON.parse(
  readFileSync(new URL('../../config.schema.json', import.meta.url), 'utf8'),
) as Schema
const validate = new Ajv2020({ allErrors: true, validateFormats: false }).compile(committed)

describe('config.schema.json', () => {
  it('is what the config shape generates (run `pnpm --filter @countersign/relay schema`)', () => {
    expect(committed).toEqual(relayConfigJsonSchema())
  })

  it('states the file members, with the code-only ones left out', () => {
    expect(Object.keys(committed.properties ?? {})).toEqual([
      '$schema',
      'server',
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
    ])
    expect(committed.required).toEqual(['targets', 'auth'])
    const auth = committed.properties?.auth?.oneOf ?? []
    expect(auth.map((variant) => variant.properties?.type)).toEqual([
      { const: 'countersign' },
      { const: 'introspection' },
      { const: 'oidc' },
    ])
    expect(Object.keys(auth[0]?.properties ?? {})).not.toContain('denylist')
    expect(auth[1]?.required).toEqual(['type', 'url', 'apiKey', 'issuer', 'audience'])
  })

  it('is exported by the package', () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { files: string[]; exports: Record<string, unknown> }
    expect(manifest.files).toContain('config.schema.json')
    expect(manifest.exports['./config.schema.json']).toBe('./config.schema.json')
  })
})

describe('the schema in a JSON Schema validator (Ajv, draft 2020-12)', () => {
  const config = {
    $schema: './node_modules/@countersign/relay/config.schema.json',
    keys: [{ keyId: 'relay-1', pem: { env: 'RELAY_KEY_PEM' } }],
    auth: {
      type: 'introspection',
      url: 'https://tokens.example/introspect',
      apiKey: { file: 'api.key' },
      issuer: 'https://tokens.example',
      audience: ['app'],
    },
    targets: [{ id: 'orders', baseUrl: 'https://api.example.com/v1', timeoutMs: 5000 }],
    store: { type: 'sqlite', path: 'relay.db' },
    audit: 'stderr',
  }

  it('accepts a config the validator accepts', () => {
    expect(validateRelayConfig(config)).toBe(config)
    expect(validate(config)).toBe(true)
  })

  it.each([
    ['an unknown member', { ...config, extra: true }],
    ['a bad audit sink', { ...config, audit: 'syslog' }],
    ['an unknown store', { ...config, store: { type: 'mongo' } }],
    ['a target without an id', { ...config, targets: [{ baseUrl: 'https://a.example' }] }],
    ['an out-of-range limit', { ...config, maxBatchSize: 1000 }],
    ['a code-only authenticator', { ...config, auth: { type: 'custom' } }],
    ['a misspelt secret reference', { ...config, keys: [{ pem: { environment: 'X' } }] }],
  ])('refuses %s, as the validator does', (_name, bad) => {
    expect(() => validateRelayConfig(bad)).toThrow()
    expect(validate(bad)).toBe(false)
  })
})

describe('the config files in the guides', () => {
  it.each(['../../../../docs/guides/relay.md', '../../../../docs/guides/migrate-from-skapi.md'])(
    '%s names the schema and validates, by the validator and by the schema',
    (guide) => {
      const text = readFileSync(new URL(guide, import.meta.url), 'utf8')
      const block = /```json\n([\s\S]*?)```/.exec(text)?.[1]
      const config = JSON.parse(block ?? 'null') as { $schema?: string }
      expect(config.$schema).toBe('./node_modules/@countersign/relay/config.schema.json')
      expect(validateRelayConfig(config)).toBe(config)
      expect(validate(config)).toBe(true)
    },
  )
})
