/**
 * Against the loopback servers a Node host started (packages/client/test/helpers/stack.ts): a
 * user token verified against the token service's JWKS, `secureRequest` through the relay, and
 * the client's signed `fetch` (RFC 9421, Icypeas, API key) to a verifier-protected server.
 */
import { apiKeySigning, createClient, icypeasSigning, rfc9421Signing } from '@countersign/client'
import { generateKeyPair } from '@countersign/core'
import { signRequest } from '@countersign/signer'
import { createRemoteJwks, verifyUserToken } from '@countersign/tokens'
import { equal } from './check.js'

async function login(net) {
  const answer = await fetch(`${net.webUrl}/login`, { method: 'POST' })
  const body = await answer.json()
  return { token: body.access_token, expiresAt: body.expires_at * 1000 }
}

async function problemCode(response) {
  return (await response.json()).code
}

/** Registers the loopback tests with `test(name, packages, fn)`; `net` names the servers. */
export function networkCases(test, net) {
  test(
    'user token: verifies against the JWKS on loopback, refuses a changed one',
    ['tokens'],
    async () => {
      const { token } = await login(net)
      const options = {
        issuer: net.issuer,
        audience: net.audience,
        keys: createRemoteJwks(net.jwksUrl),
      }
      const verified = await verifyUserToken(token, options)
      equal(verified.user.id, 'u_ada', 'user id')
      const [head, claims, signature] = token.split('.')
      const changed = `${head}.${claims}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
      const code = await verifyUserToken(changed, options).then(
        () => 'resolved',
        (e) => e.code,
      )
      equal(code, 'token_invalid', 'changed signature')
    },
  )
  test(
    'secureRequest reaches the API through the relay; anonymous calls are refused',
    ['client'],
    async () => {
      const client = createClient({ relayUrl: net.relayUrl, session: () => login(net) })
      const answer = await client.secureRequest({ url: `${net.apiUrl}/api/echo`, data: { n: 1 } })
      equal(
        [answer.status, answer.data.data, answer.data.user.user_id],
        [200, { n: 1 }, 'u_ada'],
        'answer',
      )
      const anonymous = createClient({ relayUrl: net.relayUrl })
      const code = await anonymous.secureRequest({ url: `${net.apiUrl}/api/echo`, data: {} }).then(
        () => 'resolved',
        (e) => e.code,
      )
      equal(code, 'not_logged_in', 'anonymous')
    },
  )
  test(
    'signed fetch (RFC 9421) verifies on the server; a tampered request is refused',
    ['client', 'signer'],
    async () => {
      const { privateKey, publicKey } = await generateKeyPair('ed25519')
      await fetch(`${net.protectedUrl}/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(publicKey.publicJwk()),
      })
      const client = createClient({ signing: rfc9421Signing({ key: privateKey }) })
      const answer = await client.fetch(`${net.protectedUrl}/orders`, {
        method: 'POST',
        body: '{"a":1}',
      })
      const body = await answer.json()
      equal([answer.status, body.keyId, body.body], [200, publicKey.keyId, '{"a":1}'], 'answer')
      const signed = await signRequest(
        new Request(`${net.protectedUrl}/orders`, { method: 'POST', body: '{"a":1}' }),
        { key: privateKey },
      )
      const tampered = new Request(signed.url, {
        method: 'POST',
        headers: signed.headers,
        body: '{"a":2}',
      })
      const refused = await fetch(tampered)
      equal([refused.status, await problemCode(refused)], [401, 'digest_mismatch'], 'tampered')
      const first = await fetch(signed.clone())
      const replayed = await fetch(signed)
      equal(
        [first.status, replayed.status, await problemCode(replayed)],
        [200, 401, 'replayed'],
        'replay',
      )
    },
  )
  test('signed fetch with the Icypeas and API-key presets', ['client'], async () => {
    const icypeas = createClient({ signing: icypeasSigning(net.icypeas) })
    const a = await icypeas.fetch(`${net.protectedUrl}/icypeas/x`, { method: 'POST', body: '{}' })
    equal([a.status, (await a.json()).apiKey], [200, net.icypeas.apiKey], 'icypeas')
    const keyed = createClient({ signing: apiKeySigning({ apiKey: net.plainApiKey }) })
    const b = await keyed.fetch(`${net.protectedUrl}/api-key/x`)
    equal([b.status, (await b.json()).scheme], [200, 'api-key'], 'api key')
    const wrong = createClient({ signing: apiKeySigning({ apiKey: 'not-the-key-123' }) })
    const c = await wrong.fetch(`${net.protectedUrl}/api-key/x`, { retries: 0 })
    equal([c.status, await problemCode(c)], [401, 'api_key_invalid'], 'wrong key')
  })
}
