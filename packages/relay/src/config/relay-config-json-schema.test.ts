import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { relayConfigJsonSchema } from './relay-config-json-schema.ts'
import { validateRelayConfig } from './validate-relay-config.ts'

type Schema = { properties?: Record<string, Schema>; oneOf?: Schema[]; required?: string[] }

const committed = JSON.parse(
  readFileSync(new URL('../../config.schema.json', import.meta.url), 'utf8'),
) as Schema

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

describe('the config files in the guides', () => {
  it.each(['../../../../docs/guides/relay.md', '../../../../docs/guides/migrate-from-skapi.md'])(
    '%s names the schema and validates',
    (guide) => {
      const text = readFileSync(new URL(guide, import.meta.url), 'utf8')
      const block = /```json\n([\s\S]*?)```/.exec(text)?.[1]
      const config = JSON.parse(block ?? 'null') as { $schema?: string }
      expect(config.$schema).toBe('./node_modules/@countersign/relay/config.schema.json')
      expect(validateRelayConfig(config)).toBe(config)
    },
  )
})
