/**
 * Starts ONE token service or ONE relay on a given port, with a Redis Cluster store, through
 * the packages' public APIs (not their CLIs). Run as `node launcher.ts '<json LaunchConfig>'`;
 * prints `ready` on stdout once listening, and exits on SIGTERM.
 *
 * @module
 */

import { createRelay } from '@countersign/relay'
import { serveRelay } from '@countersign/relay/node'
import { createRedisStore } from '@countersign/store/redis'
import { createSigningKeys, createTokenService, createUserTokens } from '@countersign/tokens'
import { serveTokenService } from '@countersign/tokens/node'

/** What one launched instance is. */
export type LaunchConfig =
  | {
      kind: 'tokens'
      port: number
      rootNodes: string[]
      /** A single Redis instead of the cluster (the load run's baseline). */
      url?: string
      prefix: string
      issuer: string
      masterKey: string
      rotateEveryMs: number
      overlapMs: number
      /** The longest user-token lifetime, in ms; with 1 s clock tolerance it must fit the overlap. */
      maxTtlMs: number
    }
  | {
      kind: 'relay'
      port: number
      rootNodes: string[]
      /** A single Redis instead of the cluster (the load run's baseline). */
      url?: string
      prefix: string
      issuer: string
      audience: string
      jwksUrl: string
      apiUrl: string
      hmacSecret: string
      perUser: { limit: number; windowMs: number }
    }

async function main(config: LaunchConfig): Promise<() => Promise<void>> {
  const store = await createRedisStore({
    ...(config.url === undefined
      ? { cluster: { rootNodes: config.rootNodes } }
      : { url: config.url }),
    prefix: config.prefix,
    commandTimeoutMs: 1000,
    maxReconnectDelayMs: 500,
  })
  if (config.kind === 'tokens') {
    const signingKeys = createSigningKeys({
      store,
      masterKey: config.masterKey,
      rotateEveryMs: config.rotateEveryMs,
      overlapMs: config.overlapMs,
    })
    const handler = createTokenService({
      store,
      issuer: config.issuer,
      masterKey: config.masterKey,
      userTokens: createUserTokens({
        issuer: config.issuer,
        store,
        keys: signingKeys,
        maxTtl: config.maxTtlMs,
        defaultTtl: config.maxTtlMs,
        clockTolerance: 1000,
      }),
      jwksMaxAgeSeconds: 1,
    })
    const server = await serveTokenService(handler, { port: config.port })
    return async () => {
      await server.close()
      await store.close()
    }
  }
  const relay = createRelay({
    auth: {
      type: 'countersign',
      issuer: config.issuer,
      audience: config.audience,
      jwksUrl: config.jwksUrl,
      denylist: store,
    },
    store,
    rateLimit: { perUser: config.perUser },
    targets: [
      {
        id: 'api',
        baseUrl: config.apiUrl,
        allowPrivateNetwork: true,
        allowHttp: true,
        timeoutMs: 2000,
        signing: { algorithm: 'hmac-sha256', secret: config.hmacSecret, keyId: 'relay-hmac' },
      },
    ],
  })
  const server = await serveRelay(relay, { port: config.port })
  return async () => {
    await server.close()
    await relay.close()
    await store.close()
  }
}

const config = JSON.parse(process.argv[2] ?? '{}') as LaunchConfig
const stop = await main(config)
process.stdout.write('ready\n')
process.once('SIGTERM', () => {
  void stop().finally(() => process.exit(0))
})
