/**
 * The relay served by `serveRelay` holds the shared node:http server contract, on both of its
 * paths: the relay's own listener (a `createRelay` handler with `countersign` auth) and the
 * shared Web listener (a relay with `custom` auth).
 */
import { createKeyRing, importKey } from '@countersign/core'
import {
  type CONTRACT_TIMEOUTS,
  type ContractServer,
  nodeServerContract,
} from '@countersign/testkit/node-server-contract.ts'
import { createSigningKeys } from '@countersign/tokens'
import { createRelay } from '../create-relay.ts'
import { relayKeys, testAuth } from '../test-kit.ts'
import { serveRelay } from './serve-relay.ts'

const paths = { getPath: '/.well-known/jwks.json', postPath: '/secure-request' }

/** Serves a relay with `auth` under the contract's timeouts. */
async function serve(
  auth: Parameters<typeof createRelay>[0]['auth'],
  timeouts: typeof CONTRACT_TIMEOUTS,
): Promise<ContractServer> {
  const relay = createRelay({
    keys: (await relayKeys()).ring,
    auth,
    targets: [{ id: 'api', baseUrl: 'https://api.example.com' }],
  })
  const running = await serveRelay(relay, { port: 0, ...timeouts })
  return {
    url: running.url,
    close: async () => {
      await running.close()
      await relay.close()
    },
  }
}

nodeServerContract(
  'relay (its own listener)',
  async (timeouts) => {
    const signingKeys = createSigningKeys()
    const keys = createKeyRing(
      await Promise.all((await signingKeys.jwks()).keys.map((k) => importKey(k))),
    )
    return serve(
      { type: 'countersign', issuer: 'https://tokens.test', audience: 'a', keys },
      timeouts,
    )
  },
  paths,
)

nodeServerContract('relay (Web listener)', (timeouts) => serve(testAuth, timeouts), paths)
