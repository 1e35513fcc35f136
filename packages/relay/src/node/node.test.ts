import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, toBase64Url } from '@countersign/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RelayConfigError } from '../config/validate-relay-config.ts'
import { createRelay } from '../create-relay.ts'
import { loadRelayConfig } from './load-relay-config.ts'

let dir: string
let jwk: JsonWebKey
let pem: string
const hmacSecret = toBase64Url(new Uint8Array(32).fill(3))

async function writeConfig(name: string, config: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, JSON.stringify(config, null, 2))
  return path
}

function baseConfig(): Record<string, unknown> {
  return {
    server: { port: 0, host: '127.0.0.1' },
    keys: [
      { privateJwk: jwk, keyId: 'relay-a' },
      { pem: { env: 'TEST_RELAY_PEM' }, keyId: 'relay-b', primary: true },
    ],
    auth: {
      type: 'countersign',
      issuer: 'https://tokens.test',
      audience: 'app',
      jwks: { keys: [] },
    },
    targets: [
      { id: 'orders', baseUrl: 'https://api.example.com/v1' },
      {
        id: 'legacy',
        baseUrl: 'https://legacy.example.com',
        signing: { algorithm: 'hmac-sha256', secret: { file: 'legacy.secret' } },
        skapiCompat: { apiKey: { env: 'TEST_LEGACY_KEY' } },
      },
    ],
    rateLimit: { perUser: { limit: 10, windowMs: 60000 } },
    maxBatchSize: 3,
  }
}

const env = {
  TEST_RELAY_PEM: '',
  TEST_LEGACY_KEY: 'your api secret key',
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-config-'))
  const a = await generateKeyPair('ed25519', { keyId: 'a', extractable: true })
  jwk = (a.privateKey.nativeKey as { export(o: { format: 'jwk' }): JsonWebKey }).export({
    format: 'jwk',
  })
  const b = await generateKeyPair('ed25519', { keyId: 'b', extractable: true })
  pem = (b.privateKey.nativeKey as { export(o: { format: 'pem'; type: 'pkcs8' }): string }).export({
    format: 'pem',
    type: 'pkcs8',
  })
  env.TEST_RELAY_PEM = pem
  await writeFile(join(dir, 'legacy.secret'), `${hmacSecret}\n`)
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadRelayConfig', () => {
  it('loads keys (JWK and PEM), secrets from env and files, and builds working relay options', async () => {
    const path = await writeConfig('ok.json', baseConfig())
    const loaded = await loadRelayConfig(path, { env })
    try {
      expect(loaded.server).toEqual({ port: 0, host: '127.0.0.1' })
      expect(loaded.options.targets[1]).toMatchObject({
        id: 'legacy',
        signing: { algorithm: 'hmac-sha256', secret: new Uint8Array(32).fill(3) },
        skapiCompat: { apiKey: 'your api secret key' },
      })
      expect(loaded.options.maxBatchSize).toBe(3)
      const relay = createRelay(loaded.options)
      const jwks = await (
        await relay(new Request('http://relay.test/.well-known/jwks.json'))
      ).json()
      expect((jwks as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)).toEqual([
        'relay-a',
        'relay-b',
      ])
      await relay.close()
    } finally {
      await loaded.close()
    }
  })

  it('passes the shared members on as they are and keeps the file-only ones out', async () => {
    const shared = {
      maxRequestBytes: 4096,
      maxJsonDepth: 8,
      signatureTtlSeconds: 30,
      connectTimeoutMs: 2000,
      cors: { allowedOrigins: ['https://app.example'], maxAgeSeconds: 60 },
      localDevelopment: true,
    }
    const path = await writeConfig('shared.json', {
      $schema: './node_modules/@countersign/relay/config.schema.json',
      ...baseConfig(),
      ...shared,
      audit: 'none',
      store: { type: 'memory', maxEntries: 10 },
    })
    const loaded = await loadRelayConfig(path, { env })
    try {
      expect(loaded.options).toMatchObject(shared)
      expect(Object.keys(loaded.options)).not.toContain('$schema')
      expect(Object.keys(loaded.options)).not.toContain('server')
      expect(loaded.options.audit).toBeUndefined()
      expect(typeof loaded.options.store?.hit).toBe('function')
      await createRelay(loaded.options).close()
    } finally {
      await loaded.close()
    }
  })

  it('accepts the relay section of a countersign.config.json', async () => {
    const path = await writeConfig('countersign.config.json', {
      tokens: { issuer: 'x' },
      relay: baseConfig(),
    })
    const loaded = await loadRelayConfig(path, { env })
    await loaded.close()
    expect(loaded.options.targets).toHaveLength(2)
  })

  it('reports unset variables, unreadable files and bad keys with their paths', async () => {
    const config = baseConfig()
    config.keys = [
      { privateJwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA', d: 'AAAA' } },
      { pem: { env: 'NOT_SET_ANYWHERE' } },
    ]
    ;(config.targets as Array<Record<string, unknown>>)[1] = {
      id: 'legacy',
      baseUrl: 'https://legacy.example.com',
      signing: { algorithm: 'hmac-sha256', secret: { file: 'missing.secret' } },
    }
    const path = await writeConfig('bad.json', config)
    const error = await loadRelayConfig(path, { env }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RelayConfigError)
    const message = (error as Error).message
    expect(message).toMatch(/^keys\[0\]: is not a usable Ed25519 private key/m)
    expect(message).toContain('keys[1].pem: environment variable NOT_SET_ANYWHERE is not set')
    expect(message).toContain('targets[1].signing.secret: cannot read the file missing.secret')
  })

  it('reports validation problems and unreadable or non-JSON files', async () => {
    const path = await writeConfig('invalid.json', {
      ...baseConfig(),
      targets: [{ id: 'x', baseUrl: 'https://u@x.example' }],
    })
    await expect(loadRelayConfig(path, { env })).rejects.toThrow(
      'targets[0].baseUrl: must be an https URL without userinfo',
    )
    await expect(loadRelayConfig(join(dir, 'nope.json'))).rejects.toThrow(
      /cannot read the relay config file/,
    )
    await writeFile(join(dir, 'broken.json'), '{')
    await expect(loadRelayConfig(join(dir, 'broken.json'))).rejects.toThrow(/is not valid JSON/)
  })
})
