/**
 * Sign and verify with every algorithm on this runtime's backend, with tampering and replay
 * refused, and the Icypeas and API-key presets, all in memory.
 */
import {
  ALGORITHMS,
  createMemoryStore,
  cryptoBackendName,
  generateKeyPair,
  hashSecret,
  importKey,
  randomBytes,
} from '@countersign/core'
import { signApiKey, signIcypeas, signRequest } from '@countersign/signer'
import { verifyApiKey, verifyIcypeas, verifyRequest } from '@countersign/verifier'
import { codeOf, equal } from './check.js'
import { EXPECTED_BACKEND, runtimeName } from './runtime.js'

async function keyPair(algorithm) {
  if (algorithm.startsWith('hmac-')) {
    const key = await importKey(randomBytes(32), { algorithm, keyId: `k-${algorithm}` })
    return { sign: key, verify: key }
  }
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { keyId: `k-${algorithm}` })
  return { sign: privateKey, verify: publicKey }
}

function order(body = '{"sku":"A-1","qty":2}') {
  return new Request('https://api.example.com/orders?x=1', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
}

/** A copy of `signed` with its signature headers, changed by `change` (a request init). */
async function altered(signed, change) {
  const body = change.body ?? (await signed.clone().text())
  return new Request(change.url ?? signed.url, {
    method: change.method ?? signed.method,
    headers: signed.headers,
    body: (change.method ?? signed.method) === 'GET' ? undefined : body,
  })
}

/** Registers the in-memory sign/verify tests with `test(name, packages, fn)`. */
export function signVerifyCases(test) {
  test('core resolves to the backend decided for this runtime', ['core'], () => {
    equal(cryptoBackendName, EXPECTED_BACKEND[runtimeName()], `backend on ${runtimeName()}`)
  })
  // hmac-sha1 is no RFC 9421 algorithm: it exists for the Icypeas preset, tested below.
  for (const algorithm of ALGORITHMS.filter((a) => a !== 'hmac-sha1')) {
    test(
      `${algorithm}: signs, verifies, refuses tampering and replay`,
      ['core', 'signer', 'verifier'],
      async () => {
        const keys = await keyPair(algorithm)
        equal(keys.sign.backend, cryptoBackendName, 'key backend')
        const options = { keys: () => keys.verify, nonceStore: createMemoryStore() }
        const signed = await signRequest(order(), { key: keys.sign })
        const verified = await verifyRequest(signed.clone(), options)
        equal([verified.keyId, verified.algorithm], [`k-${algorithm}`, algorithm], 'verified')
        equal(new TextDecoder().decode(verified.body), '{"sku":"A-1","qty":2}', 'body')
        equal(await codeOf(verifyRequest(signed.clone(), options)), 'replayed', 'replay')
        const fresh = { ...options, nonceStore: createMemoryStore() }
        const body = await altered(signed, { body: '{"sku":"A-1","qty":20}' })
        equal(await codeOf(verifyRequest(body, fresh)), 'digest_mismatch', 'body changed')
        const target = await altered(signed, { url: 'https://api.example.com/orders?x=2' })
        equal(await codeOf(verifyRequest(target, fresh)), 'signature_invalid', 'target changed')
        const method = await altered(signed, { method: 'PUT' })
        equal(await codeOf(verifyRequest(method, fresh)), 'signature_invalid', 'method changed')
      },
    )
  }
  presetCases(test)
}

function presetCases(test) {
  test(
    'Icypeas preset: signs, verifies, refuses a changed body and a wrong secret',
    ['signer', 'verifier'],
    async () => {
      const creds = { apiKey: 'icy-key', secret: 'icy-secret' }
      const secrets = (apiKey) => (apiKey === creds.apiKey ? creds.secret : undefined)
      const request = new Request('https://app.icypeas.com/api/a/actions/x', {
        method: 'POST',
        body: '{}',
      })
      const signed = await signIcypeas(request, creds)
      equal((await verifyIcypeas(signed.clone(), { secrets })).apiKey, creds.apiKey, 'api key')
      const wrong = await signIcypeas(request.clone(), { ...creds, secret: 'other' })
      equal(await codeOf(verifyIcypeas(wrong, { secrets })), 'signature_invalid', 'wrong secret')
      const moved = new Request('https://app.icypeas.com/api/a/actions/y', {
        method: 'POST',
        headers: signed.headers,
        body: '{}',
      })
      equal(await codeOf(verifyIcypeas(moved, { secrets })), 'signature_invalid', 'moved')
    },
  )
  test(
    'API-key preset: a known key passes, an unknown one is refused',
    ['signer', 'verifier'],
    async () => {
      const hash = await hashSecret('plain-key-1')
      const lookup = (h) => (h === hash ? { hash } : undefined)
      const signed = await signApiKey(new Request('https://api.example.com/v1/me'), {
        apiKey: 'plain-key-1',
      })
      equal((await verifyApiKey(signed, { lookup })).record.hash, hash, 'record')
      const other = await signApiKey(new Request('https://api.example.com/v1/me'), {
        apiKey: 'nope-key-2',
      })
      equal(await codeOf(verifyApiKey(other, { lookup })), 'api_key_invalid', 'unknown key')
    },
  )
}
