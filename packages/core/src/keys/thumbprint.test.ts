import { describe, expect, it } from 'vitest'
import { nodeBackend } from '../crypto/node.ts'
import { jwkThumbprintWith, thumbprintInput } from '../crypto/shared.ts'
import { webBackend } from '../crypto/web.ts'
import { fromUtf8 } from '../encoding.ts'
import { computeJwkThumbprint } from './thumbprint.ts'

/** RFC 7638 §3.1. */
const RFC7638_JWK: JsonWebKey & { kid: string } = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
}
const RFC7638_THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'

/** RFC 8037 Appendix A.3. */
const RFC8037_JWK: JsonWebKey = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
}
const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'

describe('computeJwkThumbprint', () => {
  it('matches the RFC 7638 §3.1 example', async () => {
    expect(await computeJwkThumbprint(RFC7638_JWK)).toBe(RFC7638_THUMBPRINT)
  })

  it('matches the RFC 8037 A.3 Ed25519 example', async () => {
    expect(await computeJwkThumbprint(RFC8037_JWK)).toBe(RFC8037_THUMBPRINT)
  })

  it('ignores optional and private members and member order', async () => {
    const { n, e } = RFC7638_JWK
    expect(await computeJwkThumbprint({ e, n, kty: 'RSA' })).toBe(RFC7638_THUMBPRINT)
    expect(
      await computeJwkThumbprint({ ...RFC7638_JWK, use: 'sig', d: 'AQAB', key_ops: ['verify'] }),
    ).toBe(RFC7638_THUMBPRINT)
  })

  it('hashes exactly the required members in lexicographic order', () => {
    expect(fromUtf8(thumbprintInput(RFC7638_JWK))).toBe(
      `{"e":"AQAB","kty":"RSA","n":"${RFC7638_JWK.n}"}`,
    )
    expect(
      fromUtf8(
        thumbprintInput({ y: 'Y', x: 'X', kty: 'EC', crv: 'P-256', kid: 'k' } as JsonWebKey),
      ),
    ).toBe('{"crv":"P-256","kty":"EC","x":"X","y":"Y"}')
    expect(fromUtf8(thumbprintInput({ kty: 'oct', k: 'K', alg: 'HS256' }))).toBe(
      '{"k":"K","kty":"oct"}',
    )
    expect(fromUtf8(thumbprintInput(RFC8037_JWK))).toBe(
      `{"crv":"Ed25519","kty":"OKP","x":"${RFC8037_JWK.x}"}`,
    )
  })

  it('rejects unsupported key types and missing members with TypeError', async () => {
    await expect(computeJwkThumbprint({ kty: 'RSA', n: 'AQAB' })).rejects.toThrow(TypeError)
    await expect(computeJwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'AA' })).rejects.toThrow(/"y"/)
    await expect(computeJwkThumbprint({ kty: 'XYZ' })).rejects.toThrow(/kty/)
    await expect(computeJwkThumbprint({})).rejects.toThrow(TypeError)
    await expect(computeJwkThumbprint(null as never)).rejects.toThrow(TypeError)
    await expect(computeJwkThumbprint({ kty: 'oct', k: 1 } as never)).rejects.toThrow(TypeError)
  })
})

describe.each([webBackend, nodeBackend])('jwkThumbprintWith ($name digest)', (backend) => {
  it('gives the RFC answers', async () => {
    expect(await jwkThumbprintWith(RFC7638_JWK, backend.digest)).toBe(RFC7638_THUMBPRINT)
    expect(await jwkThumbprintWith(RFC8037_JWK, backend.digest)).toBe(RFC8037_THUMBPRINT)
  })
})
