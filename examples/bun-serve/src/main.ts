/**
 * `Bun.serve` verifying RFC 9421 signed requests with Countersign. The public key is a JWK in
 * `PUBLIC_JWK`; each request's signature, Content-Digest, time window and nonce are checked, and
 * a refusal is answered as RFC 9457 problem+json with Countersign's stable code. On Bun,
 * `@countersign/core` resolves to its node:crypto backend (the `node` export condition).
 *
 *   PUBLIC_JWK='{"kty":"OKP",...}' bun src/main.ts
 */
import { cryptoBackendName, importKey, isCountersignError } from '@countersign/core'
import { createVerifier } from '@countersign/verifier'

declare const Bun: {
  env: Record<string, string | undefined>
  serve(options: {
    hostname: string
    port: number
    fetch: (request: Request) => Promise<Response>
  }): { port: number }
}

const jwk = JSON.parse(Bun.env.PUBLIC_JWK ?? 'null') as (JsonWebKey & { kid: string }) | null
if (jwk === null) {
  throw new Error('set PUBLIC_JWK to the public JWK of the signing key')
}
const key = await importKey(jwk, { keyId: jwk.kid })
const verifier = createVerifier({ keys: (id) => (id === key.keyId ? key : undefined) })

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(Bun.env.PORT ?? 3000),
  async fetch(request) {
    try {
      const { keyId, body } = await verifier.verifyRequest(request)
      return Response.json({ ok: true, keyId, body: new TextDecoder().decode(body) })
    } catch (error) {
      if (!isCountersignError(error)) {
        return Response.json({ code: 'internal_error' }, { status: 500 })
      }
      return new Response(JSON.stringify(error.toProblem()), {
        status: error.status,
        headers: { 'content-type': 'application/problem+json' },
      })
    }
  },
})
console.log(`listening on http://127.0.0.1:${server.port} (${cryptoBackendName} crypto)`)
