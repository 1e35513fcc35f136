import { createMemoryStore, generateKeyPair, type Key } from '@countersign/core'
import { signRequest } from '@countersign/signer'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createRelayVerifier,
  RELAY_COMPONENTS,
  RELAY_SIGNATURE_TAG,
  verifyRelayRequest,
} from './verify-relay-request.ts'

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

describe('verifyRelayRequest', () => {
  it('returns user, data and request id from a valid relay request', async () => {
    const options = { keys: [publicKey], nonceStore: createMemoryStore() }
    const verified = await verifyRelayRequest(await sign(envelope), options)
    expect(verified).toEqual({
      user: { user_id: 'u1', name: 'Ada' },
      data: { some_data: 'Hello' },
      requestId: 'req_abc',
      time: '2026-11-23T12:00:00.000Z',
      keyId: 'relay-1',
      algorithm: 'ed25519',
    })
  })

  it('accepts a key ring, a resolver or keys, and passes api_key through for skapi targets', async () => {
    const verifier = createRelayVerifier({
      keys: (id) => (id === 'relay-1' ? publicKey : undefined),
    })
    const verified = await verifier.verify(await sign({ ...envelope, api_key: 'k' }))
    expect(verified.apiKey).toBe('k')
  })

  it('refuses a replay, with the default shared nonce store too', async () => {
    const request = await sign(envelope)
    const copy = request.clone()
    await verifyRelayRequest(request, { keys: [publicKey] })
    await expect(verifyRelayRequest(copy, { keys: [publicKey] })).rejects.toMatchObject({
      code: 'replayed',
    })
  })

  it('refuses a replay to another API instance sharing a nonce store', async () => {
    const store = createMemoryStore()
    const one = createRelayVerifier({ keys: [publicKey], nonceStore: store })
    const two = createRelayVerifier({ keys: [publicKey], nonceStore: store })
    const request = await sign(envelope)
    const copy = request.clone()
    await expect(one.verify(request)).resolves.toMatchObject({ requestId: 'req_abc' })
    await expect(two.verify(copy)).rejects.toMatchObject({ code: 'replayed' })
  })

  it.each([
    ['another tag', { tag: 'other-app' }, 'signature_missing'],
    ['no expires', { expiresIn: undefined }, 'signature_invalid'],
    [
      'content-type not covered',
      { components: ['@method', '@target-uri', 'content-digest'] },
      'component_missing',
    ],
    [
      'target URI not covered',
      { components: ['@method', 'content-digest', 'content-type'] },
      'component_missing',
    ],
  ] as const)('refuses a signature with %s', async (_name, options, code) => {
    const request = await sign(envelope, options)
    await expect(createRelayVerifier({ keys: [publicKey] }).verify(request)).rejects.toMatchObject({
      code,
    })
  })

  it('refuses an unknown key and an HMAC key confused for the relay key', async () => {
    const { privateKey: other } = await generateKeyPair('ed25519', { keyId: 'relay-1' })
    await expect(
      createRelayVerifier({ keys: [other] }).verify(await sign(envelope)),
    ).rejects.toMatchObject({ code: 'signature_invalid' })
    await expect(
      createRelayVerifier({ keys: [] }).verify(await sign(envelope)),
    ).rejects.toMatchObject({
      code: 'key_unknown',
    })
  })

  it.each([
    ['an extra field', { ...envelope, admin: true }, 'malformed'],
    ['no user_id', { ...envelope, user: { name: 'x' } }, 'malformed'],
    ['no data', { user: envelope.user, request: envelope.request }, 'malformed'],
    ['no request id', { ...envelope, request: { time: 'x' } }, 'malformed'],
    [
      'an extra request field',
      { ...envelope, request: { ...envelope.request, ip: '1.2.3.4' } },
      'malformed',
    ],
    ['a non-string api_key', { ...envelope, api_key: 1 }, 'malformed'],
    ['an array', [envelope], 'malformed'],
  ])('refuses an envelope with %s', async (_name, body, code) => {
    await expect(
      createRelayVerifier({ keys: [publicKey] }).verify(await sign(body)),
    ).rejects.toMatchObject({ code })
  })

  it('refuses __proto__ keys and invalid JSON in a validly signed body', async () => {
    const verifier = createRelayVerifier({ keys: [publicKey] })
    await expect(
      verifier.verify(
        await sign(null, {
          raw: '{"user":{"user_id":"u","__proto__":{"a":1}},"data":1,"request":{"id":"r","time":"t"}}',
        }),
      ),
    ).rejects.toMatchObject({ code: 'malformed' })
    await expect(verifier.verify(await sign(null, { raw: '{"user":' }))).rejects.toMatchObject({
      code: 'invalid_json',
    })
  })

  it('refuses non-POST and non-JSON requests before verifying', async () => {
    const verifier = createRelayVerifier({ keys: [publicKey] })
    await expect(verifier.verify(await sign(envelope, { method: 'PUT' }))).rejects.toMatchObject({
      code: 'malformed',
    })
    await expect(
      verifier.verify(await sign(envelope, { contentType: 'text/plain' })),
    ).rejects.toMatchObject({
      code: 'unsupported_media_type',
    })
    await expect(
      verifier.verify(
        new Request(URL_, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }),
      ),
    ).rejects.toMatchObject({
      code: 'signature_missing',
    })
  })

  it('checks its options', () => {
    expect(() => createRelayVerifier({})).toThrow(TypeError)
    expect(() =>
      createRelayVerifier({ keys: [publicKey], jwksUrl: 'https://relay.example/jwks' }),
    ).toThrow(TypeError)
    expect(() => createRelayVerifier({ jwksUrl: 'http://relay.example/jwks' })).toThrow(/https/)
  })
})
