import { describe, expect, it } from 'vitest'
import {
  AuthError,
  ClientError,
  CountersignError,
  ERROR_CODES,
  type ErrorCode,
  isCountersignError,
  RateLimitError,
  RequestError,
  SignatureError,
  StoreError,
  TokenError,
  UpstreamError,
} from './errors.ts'

/** The codes table, pinned: a code never changes meaning or status once published. */
const EXPECTED_CODES: Record<string, number> = {
  malformed: 400,
  invalid_json: 400,
  duplicate_header: 400,
  component_unsupported: 400,
  body_too_large: 413,
  headers_too_large: 431,
  request_too_slow: 408,
  unsupported_media_type: 415,
  not_found: 404,
  method_not_allowed: 405,
  signature_missing: 401,
  signature_invalid: 401,
  signature_expired: 401,
  component_missing: 401,
  digest_missing: 401,
  digest_mismatch: 401,
  replayed: 401,
  key_unknown: 401,
  algorithm_mismatch: 401,
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  token_revoked: 401,
  not_logged_in: 401,
  api_key_invalid: 401,
  forbidden: 403,
  target_forbidden: 403,
  rate_limited: 429,
  store_unavailable: 503,
  store_full: 503,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  upstream_too_large: 502,
  upstream_error: 502,
  jwks_unavailable: 503,
  network_error: 502,
  request_timeout: 504,
  request_aborted: 499,
}

type Make = (code: ErrorCode) => CountersignError

/** Every code's family class, and how to build one. */
const FAMILIES: Array<{ name: string; codes: string[]; make: Make; retryable: boolean }> = [
  {
    name: 'RequestError',
    codes: [
      'malformed',
      'invalid_json',
      'duplicate_header',
      'component_unsupported',
      'body_too_large',
      'headers_too_large',
      'request_too_slow',
      'unsupported_media_type',
      'not_found',
      'method_not_allowed',
    ],
    make: (code) => new RequestError(code as never),
    retryable: false,
  },
  {
    name: 'SignatureError',
    codes: [
      'signature_missing',
      'signature_invalid',
      'signature_expired',
      'component_missing',
      'digest_missing',
      'digest_mismatch',
      'replayed',
      'key_unknown',
      'algorithm_mismatch',
    ],
    make: (code) => new SignatureError(code as never),
    retryable: false,
  },
  {
    name: 'TokenError',
    codes: ['token_missing', 'token_invalid', 'token_expired', 'token_revoked'],
    make: (code) => new TokenError(code as never),
    retryable: false,
  },
  {
    name: 'AuthError',
    codes: ['not_logged_in', 'api_key_invalid', 'forbidden', 'target_forbidden'],
    make: (code) => new AuthError(code as never),
    retryable: false,
  },
  {
    name: 'RateLimitError',
    codes: ['rate_limited'],
    make: () => new RateLimitError(1500),
    retryable: true,
  },
  {
    name: 'StoreError',
    codes: ['store_unavailable', 'store_full'],
    make: (code) => new StoreError(code as never),
    retryable: true,
  },
  {
    name: 'UpstreamError',
    codes: [
      'upstream_unreachable',
      'upstream_timeout',
      'upstream_too_large',
      'upstream_error',
      'jwks_unavailable',
    ],
    make: (code) => new UpstreamError(code as never),
    retryable: false,
  },
  {
    name: 'ClientError',
    codes: ['network_error', 'request_timeout', 'request_aborted'],
    make: (code) => new ClientError(code as never),
    retryable: false,
  },
]

describe('ERROR_CODES', () => {
  it('is the pinned table', () => {
    expect({ ...ERROR_CODES }).toEqual(EXPECTED_CODES)
    expect(Object.keys(ERROR_CODES)).toHaveLength(38)
  })

  it('uses lowercase snake_case codes and real HTTP error statuses', () => {
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[a-z]+(?:_[a-z]+)*$/)
      expect(status).toBeGreaterThanOrEqual(400)
      expect(status).toBeLessThan(600)
    }
  })

  it('puts every code in exactly one family', () => {
    const all = FAMILIES.flatMap((f) => f.codes)
    expect(new Set(all).size).toBe(all.length)
    expect([...all].sort()).toEqual(Object.keys(ERROR_CODES).sort())
  })
})

describe('error classes', () => {
  for (const family of FAMILIES) {
    it(`${family.name} maps each of its codes to its status`, () => {
      for (const code of family.codes) {
        const error = family.make(code as ErrorCode)
        expect(error).toBeInstanceOf(CountersignError)
        expect(error).toBeInstanceOf(Error)
        expect(error.name).toBe(family.name)
        expect(error.constructor.name).toBe(family.name)
        expect(error.code).toBe(code)
        expect(error.status).toBe(EXPECTED_CODES[code])
        expect(error.retryable).toBe(family.retryable)
        expect(error.message).toBe(code.replaceAll('_', ' '))
        expect('cause' in error).toBe(false)
        expect(isCountersignError(error)).toBe(true)
        expect(isCountersignError(error, code as ErrorCode)).toBe(true)
      }
    })
  }

  it('CountersignError takes any known code', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const error = new CountersignError(code)
      expect(error.name).toBe('CountersignError')
      expect(error.status).toBe(ERROR_CODES[code])
    }
  })

  it('keeps a message, a cause and an explicit retryable', () => {
    const cause = new Error('socket hang up')
    const error = new StoreError('store_unavailable', 'redis is down', { cause, retryable: false })
    expect(error.message).toBe('redis is down')
    expect(error.cause).toBe(cause)
    expect(error.retryable).toBe(false)
    expect(new SignatureError('replayed', undefined, { retryable: true }).retryable).toBe(true)
    expect(new TokenError('token_expired', 'expired', {}).retryable).toBe(false)
  })

  it('RateLimitError carries retryAfterMs', () => {
    const error = new RateLimitError(2500, 'slow down')
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 2500 })
    expect(error.message).toBe('slow down')
    expect(new RateLimitError(1, undefined, { retryable: false }).retryable).toBe(false)
  })

  it('throws TypeError for an unknown code, including prototype names', () => {
    const bad: unknown[] = [
      'nope',
      'MALFORMED',
      'malformed ',
      '__proto__',
      'toString',
      'constructor',
      'hasOwnProperty',
      '',
      undefined,
      null,
      42,
      {},
    ]
    for (const code of bad) {
      expect(() => new CountersignError(code as ErrorCode), String(code)).toThrow(TypeError)
    }
    expect(() => new RequestError('nope' as never)).toThrow(TypeError)
    expect(() => new CountersignError('nope' as ErrorCode)).toThrow(
      'unknown Countersign error code: nope',
    )
  })
})

describe('toProblem', () => {
  it('gives RFC 9457 problem details', () => {
    const problem = new SignatureError('signature_expired').toProblem()
    expect(problem).toEqual({
      type: 'https://countersign.dev/errors/signature_expired',
      title: 'signature expired',
      status: 401,
      code: 'signature_expired',
    })
    expect(JSON.parse(JSON.stringify(problem))).toEqual(problem)
  })

  it('keeps a fixed title per code, puts the message in detail, and leaves out the cause', () => {
    const problem = new StoreError('store_unavailable', 'the nonce store did not answer', {
      cause: new Error('password=hunter2'),
    }).toProblem()
    expect(problem.title).toBe('store unavailable')
    expect(problem.detail).toBe('the nonce store did not answer')
    expect(JSON.stringify(problem)).not.toContain('hunter2')
    expect(Object.keys(problem).sort()).toEqual(['code', 'detail', 'status', 'title', 'type'])
  })

  it('leaves out detail when the message is the default one', () => {
    const problem = new StoreError('store_unavailable').toProblem()
    expect(Object.keys(problem).sort()).toEqual(['code', 'status', 'title', 'type'])
  })

  it('gives every code its own type URI', () => {
    const types = (Object.keys(ERROR_CODES) as ErrorCode[]).map(
      (code) => new CountersignError(code).toProblem().type,
    )
    expect(new Set(types).size).toBe(types.length)
  })
})

describe('isCountersignError', () => {
  it('recognises an error from a duplicate copy of the package (where instanceof fails)', () => {
    // What another copy of @countersign/core (a second version in node_modules) would build.
    class CountersignErrorCopy extends Error {
      readonly code = 'replayed'
      readonly status = 401
      readonly retryable = false
    }
    const foreign = new CountersignErrorCopy('replayed')
    expect(foreign instanceof CountersignError).toBe(false)
    expect(isCountersignError(foreign)).toBe(true)
    expect(isCountersignError(foreign, 'replayed')).toBe(true)
    expect(isCountersignError(foreign, 'signature_invalid')).toBe(false)
  })

  it('filters by code', () => {
    const error = new TokenError('token_expired')
    expect(isCountersignError(error, 'token_expired')).toBe(true)
    expect(isCountersignError(error, 'token_invalid')).toBe(false)
  })

  it('rejects everything else', () => {
    const nodeError = Object.assign(new TypeError('bad arg'), { code: 'ERR_INVALID_ARG_TYPE' })
    const withStatus = Object.assign(new Error('x'), { code: 'ERR_X', status: 500 })
    const protoCode = Object.assign(new Error('x'), { code: '__proto__', status: 400 })
    const numericCode = Object.assign(new Error('x'), { code: 400, status: 400 })
    const noStatus = Object.assign(new Error('x'), { code: 'malformed' })
    const plain = { code: 'malformed', status: 400, message: 'malformed' }
    for (const value of [
      nodeError,
      withStatus,
      protoCode,
      numericCode,
      noStatus,
      plain,
      new Error('malformed'),
      'malformed',
      null,
      undefined,
      400,
    ]) {
      expect(isCountersignError(value)).toBe(false)
    }
  })
})
