/**
 * Benchmark: JWT verification (user tokens, and `verifyJwt`, the OIDC path) against one raw
 * node:crypto Ed25519 verify and jose.
 * Run: node packages/tokens/bench/verify-jwt.ts (Node 24 strips the types).
 *
 * Rounds are interleaved so that load from other processes hits every contender alike.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { createKeyRing, fromBase64Url } from '@countersign/core'
import * as jose from 'jose'
import { createSigningKeys } from '../src/signing-keys.ts'
import { createUserTokens } from '../src/user-tokens.ts'
import { verifyJwt } from '../src/verify-jwt.ts'
import { verifyUserToken } from '../src/verify-user-token.ts'

const ISSUER = 'https://tokens.example'
const keys = createSigningKeys()
const tokens = createUserTokens({ issuer: ISSUER, keys })
const { token } = await tokens.issueUserToken({
  user: { id: 'user-123', name: 'Ada Lovelace', phoneNumber: '+15555550100' },
  audience: 'action-package-1',
})
const key = await keys.current()
const jwk = key.publicJwk() as JsonWebKey
const ring = createKeyRing([key])

const [h, p, s] = token.split('.') as [string, string, string]
const data = new TextEncoder().encode(`${h}.${p}`)
const signature = fromBase64Url(s)
const nodeKey = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' })
const joseKey = await jose.importJWK(jwk, 'EdDSA')
const options = { issuer: ISSUER, audience: 'action-package-1', keys: ring }

const contenders: Record<string, () => unknown> = {
  'node:crypto verify (raw)': () => nodeVerify(null, data, nodeKey, signature),
  'countersign verifyUserToken': () => verifyUserToken(token, options),
  // The relay's OIDC path: the same JWS and registered-claim checks, without RFC 9068's.
  'countersign verifyJwt': () => verifyJwt(token, options),
  'jose jwtVerify': () =>
    jose.jwtVerify(token, joseKey, { issuer: ISSUER, audience: 'action-package-1', typ: 'at+jwt' }),
}

async function run(fn: () => unknown, n: number): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    const r = fn()
    if (r instanceof Promise) {
      await r
    }
  }
  return (n / (performance.now() - start)) * 1000
}

const N = Number(process.argv[2] ?? 2000)
const ROUNDS = Number(process.argv[3] ?? 7)
const results: Record<string, number[]> = {}
for (const [name, fn] of Object.entries(contenders)) {
  await run(fn, 500) // warm up
  results[name] = []
}
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(contenders)) {
    results[name]?.push(await run(fn, N))
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const base = median(results['node:crypto verify (raw)'] as number[])
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs)
  console.log(
    `${name.padEnd(30)} ${Math.round(m).toString().padStart(7)} ops/s  ratio ${(m / base).toFixed(2)}`,
  )
}
