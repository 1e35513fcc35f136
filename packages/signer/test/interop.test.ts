/**
 * Interop: requests and responses signed by Countersign verify in an independent RFC 9421
 * implementation (`http-message-signatures` 1.0.6, node:crypto), for hmac-sha256, ed25519,
 * ecdsa-p256-sha256 and rsa-pss-sha512.
 */
import {
  createPublicKey,
  createSecretKey,
  type KeyObject,
  type JsonWebKey as NodeJwk,
} from 'node:crypto'
import { type Algorithm, generateKeyPair, importKey, utf8 } from '@countersign/core'
import { createVerifier, httpbis } from 'http-message-signatures'
import { describe, expect, it } from 'vitest'
import { signRequest, signResponse } from '../src/index.ts'

function headersOf(message: Request | Response): Record<string, string> {
  return Object.fromEntries(message.headers)
}

async function theirKeys(algorithm: Algorithm) {
  if (algorithm === 'hmac-sha256') {
    const secret = utf8('interop shared secret, 32 bytes or more')
    const key = await importKey(secret, { algorithm, keyId: 'interop-hmac' })
    return { key, verifyKey: createSecretKey(secret) as KeyObject }
  }
  const { privateKey } = await generateKeyPair(algorithm, { keyId: `interop-${algorithm}` })
  return {
    key: privateKey,
    verifyKey: createPublicKey({
      key: privateKey.publicJwk() as unknown as NodeJwk,
      format: 'jwk',
    }),
  }
}

const ALGS: Algorithm[] = ['hmac-sha256', 'ed25519', 'ecdsa-p256-sha256', 'rsa-pss-sha512']

describe.each(ALGS)('Countersign -> http-message-signatures (%s)', (algorithm) => {
  it('a signed POST with the default components verifies', async () => {
    const { key, verifyKey } = await theirKeys(algorithm)
    const signed = await signRequest(
      new Request('https://api.example.com/v1/orders?b=2&a=1', {
        method: 'POST',
        headers: { 'content-type': 'application/json', date: new Date().toUTCString() },
        body: '{"id":1}',
      }),
      {
        key,
        alg: true,
        components: [
          '@method',
          '@target-uri',
          '@authority',
          '@path',
          '@query',
          'content-digest',
          'content-type',
          'date',
        ],
      },
    )
    let seen: Record<string, unknown> | undefined
    const ok = await httpbis.verifyMessage(
      {
        async keyLookup(params) {
          seen = params as Record<string, unknown>
          return params.keyid === key.keyId
            ? { id: key.keyId, algs: [algorithm], verify: createVerifier(verifyKey, algorithm) }
            : null
        },
        requiredFields: ['@method', '@target-uri', 'content-digest'],
      },
      { method: signed.method, url: signed.url, headers: headersOf(signed) },
    )
    expect(ok).toBe(true)
    expect(seen?.keyid).toBe(key.keyId)
  })

  it('a tampered request does not verify', async () => {
    const { key, verifyKey } = await theirKeys(algorithm)
    const signed = await signRequest(
      new Request('https://api.example.com/v1/orders', { method: 'DELETE' }),
      { key },
    )
    const result = await httpbis
      .verifyMessage(
        {
          keyLookup: async () => ({
            id: key.keyId,
            algs: [algorithm],
            verify: createVerifier(verifyKey, algorithm),
          }),
        },
        { method: 'GET', url: signed.url, headers: headersOf(signed) },
      )
      .catch(() => false)
    expect(result).toBe(false)
  })

  it('a signed response bound to its request verifies', async () => {
    const { key, verifyKey } = await theirKeys(algorithm)
    const request = new Request('https://api.example.com/v1/orders', { method: 'POST', body: 'x' })
    const signed = await signResponse(Response.json({ ok: true }), {
      key,
      request,
      components: [
        '@status',
        'content-type',
        'content-digest',
        '"@method";req',
        '"@authority";req',
      ],
    })
    const ok = await httpbis.verifyMessage(
      {
        keyLookup: async () => ({
          id: key.keyId,
          algs: [algorithm],
          verify: createVerifier(verifyKey, algorithm),
        }),
      },
      { status: signed.status, headers: headersOf(signed) },
      { method: request.method, url: request.url, headers: headersOf(request) },
    )
    expect(ok).toBe(true)
  })
})
