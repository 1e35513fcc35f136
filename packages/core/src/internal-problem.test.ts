import { describe, expect, it } from 'vitest'
import { internalProblem } from './internal-problem.ts'

describe('internalProblem', () => {
  it('is a detail-free 500 internal_error problem, fresh on every call', () => {
    const first = internalProblem()
    expect(first).toEqual({
      type: 'https://countersign.dev/errors/internal_error',
      title: 'internal error',
      status: 500,
      code: 'internal_error',
    })
    ;(first as { detail?: string }).detail = 'leak'
    expect(internalProblem()).not.toHaveProperty('detail')
  })
})
