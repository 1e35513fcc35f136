/**
 * A Cloudflare Worker that verifies RFC 9421 signed requests with Countersign: the public key
 * comes from the `PUBLIC_JWK` binding (a JWK as text), each request is checked for its
 * signature, Content-Digest, time window and nonce, and a refusal is answered as RFC 9457
 * problem+json with Countersign's stable code. Replays are caught per isolate (the default
 * in-memory nonce store): give `createVerifier` a shared `nonceStore` in production.
 */
import { importKey, isCountersignError, type Key } from '@countersign/core'
import { createVerifier, type Verifier } from '@countersign/verifier'

interface Env {
  PUBLIC_JWK: string
}

let cached: { jwk: string; verifier: Verifier } | undefined

async function verifierFor(env: Env): Promise<Verifier> {
  if (cached?.jwk !== env.PUBLIC_JWK) {
    const jwk = JSON.parse(env.PUBLIC_JWK) as JsonWebKey & { kid: string }
    const key: Key = await importKey(jwk, { keyId: jwk.kid })
    const verifier = createVerifier({ keys: (id) => (id === key.keyId ? key : undefined) })
    cached = { jwk: env.PUBLIC_JWK, verifier }
  }
  return cached.verifier
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      const verified = await (await verifierFor(env)).verifyRequest(request)
      return Response.json({
        ok: true,
        keyId: verified.keyId,
        body: new TextDecoder().decode(verified.body),
      })
    } catch (error) {
      const problem = isCountersignError(error)
        ? error.toProblem()
        : { title: 'internal error', status: 500, code: 'internal_error' }
      return new Response(JSON.stringify(problem), {
        status: problem.status ?? 500,
        headers: { 'content-type': 'application/problem+json' },
      })
    }
  },
}
