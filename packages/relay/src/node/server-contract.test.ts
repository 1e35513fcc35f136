/**
 * The relay served by `serveRelay` holds the shared node:http server contract, with the
 * built-in `countersign` auth and with a `custom` auth hook (one path: the shared Web listener).
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
  'relay (countersign auth)',
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

nodeServerContract('relay (custom auth)', (timeouts) => serve(testAuth, timeouts), paths)
