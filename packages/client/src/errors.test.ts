import { CountersignError, isCountersignError } from '@countersign/core'
import { describe, expect, it } from 'vitest'
import { ApiError } from './api-error.ts'
import { RelayError } from './relay-error.ts'

describe('RelayError', () => {
  it('keeps the relay code and the status the relay answered', () => {
    const error = new RelayError('rate_limited', 429, 'slow down', {
      requestId: 'req_1',
      retryAfterMs: 2000,
    })
    expect(error).toBeInstanceOf(CountersignError)
    expect(isCountersignError(error, 'rate_limited')).toBe(true)
    expect(error).toMatchObject({
      name: 'RelayError',
      status: 429,
      retryable: true,
      requestId: 'req_1',
      retryAfterMs: 2000,
      message: 'slow down',
    })
  })

  it('turns a code this version does not know into upstream_error, keeping the status', () => {
    const error = new RelayError('internal_error', 500)
    expect(error.code).toBe('upstream_error')
    expect(error.status).toBe(500)
    expect(isCountersignError(error)).toBe(true)
  })
})

describe('ApiError', () => {
  it('is coded api_error and is not a CountersignError', () => {
    const error = new ApiError(409, { error: 'conflict' })
    expect(error).toMatchObject({ name: 'ApiError', code: 'api_error', status: 409 })
    expect(error.message).toBe('the API answered 409')
    expect(isCountersignError(error)).toBe(false)
  })
})
