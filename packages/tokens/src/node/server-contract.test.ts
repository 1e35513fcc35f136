/** The token service served by `serveTokenService` holds the shared node:http server contract. */
import { createMemoryStore } from '@countersign/core'
import { nodeServerContract } from '@countersign/testkit/node-server-contract.ts'
import { createApiKeys } from '../api-keys.ts'
import { createTokenService } from '../service/token-service.ts'
import { serveTokenService } from './serve.ts'

const masterKey = new Uint8Array(32).fill(1)

nodeServerContract(
  'token service',
  (timeouts) => {
    const store = createMemoryStore()
    const handler = createTokenService({
      store,
      issuer: 'https://tokens.test',
      masterKey,
      apiKeys: createApiKeys({ store, masterKey }),
    })
    return serveTokenService(handler, { port: 0, ...timeouts })
  },
  { getPath: '/.well-known/jwks.json', postPath: '/generate' },
)
