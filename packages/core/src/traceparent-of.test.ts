import { describe, expect, it } from 'vitest'
import { traceparentOf } from './traceparent-of.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

describe('traceparentOf', () => {
  it('reads a version 00 value and a later version with extra fields', () => {
    expect(traceparentOf(`00-${TRACE}-${SPAN}-01`)).toEqual({
      value: `00-${TRACE}-${SPAN}-01`,
      traceId: TRACE,
      parentId: SPAN,
    })
    expect(traceparentOf(`01-${TRACE}-${SPAN}-00-later`)?.traceId).toBe(TRACE)
  })

  it.each([
    undefined,
    null,
    '',
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `ff-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01-extra`,
    `00-${TRACE}-${SPAN}-01, 00-${TRACE}-${SPAN}-01`,
    ` 00-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01\r\nx-evil: 1`,
    `00-${TRACE}-${SPAN}`,
    `01-${TRACE}-${SPAN}-01-${'a'.repeat(600)}`,
  ])('refuses %j', (value) => {
    expect(traceparentOf(value)).toBeUndefined()
  })
})
