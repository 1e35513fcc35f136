/**
 * `Deno.serve` verifying RFC 9421 signed requests with Countersign. The public key is a JWK in
 * `PUBLIC_JWK`; each request's signature, Content-Digest, time window and nonce are checked, and
 * a refusal is answered as RFC 9457 problem+json with Countersign's stable code. On Deno,
 * `@countersign/core` resolves to its Web Crypto backend (the `deno` export condition).
 *
 *   PUBLIC_JWK='{"kty":"OKP",...}' deno run --allow-net --allow-env src/main.ts
 */
import { cryptoBackendName, importKey, isCountersignError } from '@countersign/core'
import { createVerifier } from '@countersign/verifier'

declare const Deno: {
  env: { get(name: string): string | undefined }
  serve(
    options: { hostname: string; port: number; onListen(address: { port: number }): void },
    handler: (request: Request) => Promise<Response>,
  ): unknown
}

const jwk = JSON.parse(Deno.env.get('PUBLIC_JWK') ?? 'null') as
  | (JsonWebKey & { kid: string })
  | null
if (jwk === null) {
  throw new Error('set PUBLIC_JWK to the public JWK of the signing key')
}
const key = await importKey(jwk, { keyId: jwk.kid })
const verifier = createVerifier({ keys: (id) => (id === key.keyId ? key : undefined) })

async function handle(request: Request): Promise<Response> {
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
}

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT') ?? 8000),
    onListen: ({ port }) =>
      console.log(`listening on http://127.0.0.1:${port} (${cryptoBackendName} crypto)`),
  },
  handle,
)
