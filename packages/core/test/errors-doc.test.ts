/** Keeps docs/guides/errors.md complete: every code documented, no unknown code listed. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../src/errors.ts'

const doc = readFileSync(new URL('../../../docs/guides/errors.md', import.meta.url), 'utf8')
const codes = Object.keys(ERROR_CODES).sort()

/** Each code's family class, as errors.ts groups them. */
const FAMILY: Record<string, string> = {}
for (const [family, members] of Object.entries({
  RequestError:
    'malformed invalid_json duplicate_header component_unsupported body_too_large headers_too_large request_too_slow unsupported_media_type not_found method_not_allowed',
  SignatureError:
    'signature_missing signature_invalid signature_expired component_missing digest_missing digest_mismatch replayed key_unknown algorithm_mismatch',
  TokenError: 'token_missing token_invalid token_expired token_revoked',
  AuthError: 'not_logged_in api_key_invalid forbidden target_forbidden',
  RateLimitError: 'rate_limited',
  StoreError: 'store_unavailable store_full',
  UpstreamError:
    'upstream_unreachable upstream_timeout upstream_too_large upstream_error jwks_unavailable',
  ClientError: 'network_error request_timeout request_aborted',
})) {
  for (const code of members.split(' ')) {
    FAMILY[code] = family
  }
}

describe('docs/guides/errors.md', () => {
  it('maps codes to families for this test exactly as ERROR_CODES lists them', () => {
    expect(Object.keys(FAMILY).sort()).toEqual(codes)
  })

  it('has a summary row for every code, with its status and class, and no other row', () => {
    const rows = [...doc.matchAll(/^\|\s*`([^`]+)`\s*\|\s*(\d{3})\s*\|\s*(\w+)\s*\|$/gm)].map(
      (m) => ({
        code: m[1]!,
        status: Number(m[2]),
        family: m[3]!,
      }),
    )
    expect(rows.map((r) => r.code).sort()).toEqual(codes)
    for (const row of rows) {
      expect(row.status, row.code).toBe(ERROR_CODES[row.code as keyof typeof ERROR_CODES])
      expect(row.family, row.code).toBe(FAMILY[row.code])
    }
  })

  it('has one section per code, with its status, under its family, and no other', () => {
    const sections = [...doc.matchAll(/^### `([^`]+)`\n\n(\d{3})\. /gm)]
    expect(sections.map((m) => m[1]).sort()).toEqual(codes)
    expect([...doc.matchAll(/^### /gm)]).toHaveLength(codes.length)
    for (const m of sections) {
      const code = m[1] as keyof typeof ERROR_CODES
      expect(Number(m[2]), code).toBe(ERROR_CODES[code])
      const before = doc.slice(0, m.index)
      const family = [...before.matchAll(/^## .*\(`(\w+)`\)$/gm)].at(-1)?.[1]
      expect(family, code).toBe(FAMILY[code])
      const body = doc.slice(m.index).split(/^##/m)[1] ?? ''
      expect(body, `${code} says what to do`).toContain('**Do:**')
    }
  })

  it('mentions no unknown code anywhere', () => {
    const snake = new Set([...doc.matchAll(/`([a-z]+(?:_[a-z]+)+)`/g)].map((m) => m[1]!))
    const allowed = new Set(['node_modules'])
    for (const word of snake) {
      expect(codes.includes(word) || allowed.has(word), word).toBe(true)
    }
  })
})
