import { afterEach, describe, expect, it } from 'vitest'
import { RequestError } from './errors.ts'
import { internalProblem } from './internal-problem.ts'
import { DEFAULT_PROBLEM_TYPE_BASE, problemType } from './problem-type.ts'
import { setProblemTypeBase } from './set-problem-type-base.ts'

afterEach(() => {
  setProblemTypeBase(undefined)
})

describe('problem type URIs', () => {
  it('point at the docs page of each code by default', () => {
    expect(DEFAULT_PROBLEM_TYPE_BASE).toBe('https://countersign.dev/errors/')
    expect(new RequestError('malformed').toProblem().type).toBe(
      'https://countersign.dev/errors/malformed',
    )
    expect(internalProblem().type).toBe('https://countersign.dev/errors/internal_error')
  })

  it('follow a configured base, adding the slash it lacks, and return to the default', () => {
    expect(setProblemTypeBase('https://docs.example/cs/errors')).toBe(
      'https://docs.example/cs/errors/',
    )
    expect(new RequestError('replayed' as never).toProblem().type).toBe(
      'https://docs.example/cs/errors/replayed',
    )
    expect(internalProblem().type).toBe('https://docs.example/cs/errors/internal_error')
    setProblemTypeBase('https://docs.example/errors#')
    expect(problemType('replayed')).toBe('https://docs.example/errors#replayed')
    setProblemTypeBase(undefined)
    expect(problemType('replayed')).toBe('https://countersign.dev/errors/replayed')
  })

  it.each([
    'errors/',
    'javascript:alert(1)//',
    'ftp://docs.example/errors/',
    'https://user:pw@docs.example/errors/',
    'https://docs.example/errors/?x=1',
    'https://docs.example/err ors/',
    'https://docs.example/errors/#frag',
    'https://docs.example/"errors/',
    `https://docs.example/${'a'.repeat(600)}/`,
  ])('refuses %s and keeps the base in force', (bad) => {
    expect(() => setProblemTypeBase(bad)).toThrow(TypeError)
    expect(problemType('replayed')).toBe('https://countersign.dev/errors/replayed')
  })
})
