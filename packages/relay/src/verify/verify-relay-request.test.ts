import { generateKeyPair, type Key } from '@countersign/core'
import { signRequest } from '@countersign/signer'
import { createRedisStore } from '@countersign/store/redis'
import * as verifier from '@countersign/verifier'
import { beforeAll, describe, expect, it } from 'vitest'
import { RELAY_COMPONENTS, RELAY_SIGNATURE_TAG } from '../index.ts'
import * as relayVerify from './index.ts'
import { createRelayVerifier, verifyRelayRequest } from './index.ts'

let privateKey: Key
let publicKey: Key
const URL_ = 'https://api.example.com/v1/orders'
const envelope = {
  user: { user_id: 'u1', name: 'Ada' },
  data: { some_data: 'Hello' },
  request: { id: 'req_abc', time: '2026-11-23T12:00:00.000Z' },
}

beforeAll(async () => {
  ;({ privateKey, publicKey } = await generateKeyPair('ed25519', { keyId: 'relay-1' }))
})

function sign(
  body: unknown,
  options: {
    components?: readonly string[]
    tag?: string
    expiresIn?: number | undefined
    method?: string
    contentType?: string
    raw?: string
  } = {},
): Promise<Request> {
  return signRequest(
    new Request(URL_, {
      method: options.method ?? 'POST',
      headers: { 'content-type': options.contentType ?? 'application/json' },
      body: options.raw ?? JSON.stringify(body),
    }),
    {
      key: privateKey,
      components: options.components ?? RELAY_COMPONENTS,
      tag: options.tag ?? RELAY_SIGNATURE_TAG,
      ...('expiresIn' in options
        ? options.expiresIn === undefined
          ? {}
          : { expiresIn: options.expiresIn }
        : { expiresIn: 60 }),
    },
  )
}

describe('@countersign/relay/verify', () => {
  it('re-exports relay verification from @countersign/verifier', () => {
    expect(relayVerify.verifyRelayRequest).toBe(verifier.verifyRelayRequest)
    expect(relayVerify.createRelayVerifier).toBe(verifier.createRelayVerifier)
    expect(relayVerify.createRelayKeyResolver).toBe(verifier.createRelayKeyResolver)
    expect(RELAY_COMPONENTS).toBe(verifier.RELAY_COMPONENTS)
    expect(RELAY_SIGNATURE_TAG).toBe(verifier.RELAY_SIGNATURE_TAG)
  })

  it('verifies what the relay signs', async () => {
    const verified = await verifyRelayRequest(await sign(envelope), { keys: [publicKey] })
    expect(verified).toMatchObject({ user: { user_id: 'u1' }, requestId: 'req_abc' })
  })

  it('refuses a replay to another API instance sharing a Redis nonce store', async () => {
    const store = await createRedisStore({
      url: process.env.REDIS_URL,
      prefix: `relay-verify-${Date.now()}`,
    })
    try {
      const one = createRelayVerifier({ keys: [publicKey], nonceStore: store })
      const two = createRelayVerifier({ keys: [publicKey], nonceStore: store })
      const request = await sign(envelope)
      const copy = request.clone()
      await expect(one.verify(request)).resolves.toMatchObject({ requestId: 'req_abc' })
      await expect(two.verify(copy)).rejects.toMatchObject({ code: 'replayed' })
    } finally {
      await store.close()
    }
  })
})
