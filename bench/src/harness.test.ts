import { describe, expect, it } from 'vitest'
import {
  type Case,
  filterGroups,
  formatGroup,
  type Group,
  median,
  pairedRatio,
  type RunOptions,
  ratio,
  relativeSpread,
  roundOrder,
  runGroup,
  SkipGroup,
} from './harness.ts'

/**
 * A fake clock in whole microseconds: each fake operation advances it by its cost, so ops/s are
 * exact and no assertion depends on real timing.
 */
function fakeWorld() {
  let micros = 0
  let round: number | undefined
  const log: string[] = []
  const world = {
    now: () => micros / 1000,
    /** A sync case costing `cost(round)` microseconds per operation. */
    syncCase(
      name: string,
      cost: (round: number | undefined) => number,
      extra: Partial<Case> = {},
    ): Case {
      return {
        name,
        fn: () => {
          if (log.at(-1) !== name) {
            log.push(name)
          }
          micros += cost(round)
        },
        ...extra,
      }
    },
    hooks: {
      now: () => micros / 1000,
      onProgress: (_message: string, r: number | undefined) => {
        round = r
        log.push(r === undefined ? 'warm-up' : `round ${r}`)
      },
    },
    log,
  }
  return world
}

const options: RunOptions = { rounds: 5, timeMs: 5, warmupMs: 2 }

describe('math', () => {
  it('median of odd and even counts, NaN when empty', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })

  it('does not reorder its input', () => {
    const values = [3, 1, 2]
    median(values)
    expect(values).toEqual([3, 1, 2])
  })

  it('relative spread is the median absolute deviation over the median', () => {
    expect(relativeSpread([100, 100, 100])).toBe(0)
    // deviations from 100: 10, 0, 10, 20, 0 -> median 10 -> 10%
    expect(relativeSpread([90, 100, 110, 120, 100])).toBeCloseTo(0.1)
  })

  it('ratio is NaN against a non-positive base', () => {
    expect(ratio(50, 100)).toBe(0.5)
    expect(ratio(50, 0)).toBeNaN()
  })

  it('roundOrder balances position and predecessor over a full cycle of rounds', () => {
    for (let n = 1; n <= 9; n++) {
      const items = Array.from({ length: n }, (_, i) => i)
      const rows = n % 2 === 0 ? n : 2 * n
      const position = Array.from({ length: n }, () => new Array<number>(n).fill(0))
      const follows = new Map<string, number>()
      for (let r = 0; r < rows; r++) {
        const order = roundOrder(items, r)
        expect([...order].sort((a, b) => a - b)).toEqual(items)
        for (let i = 0; i < n; i++) {
          position[order[i]!]![i]!++
        }
        for (let i = 1; i < n; i++) {
          const key = `${order[i - 1]}>${order[i]}`
          follows.set(key, (follows.get(key) ?? 0) + 1)
        }
      }
      // Every item in every position rows/n times; every ordered pair adjacent equally often.
      for (const counts of position) {
        expect(counts).toEqual(new Array(n).fill(rows / n))
      }
      expect(follows.size).toBe(n * (n - 1))
      expect(new Set(follows.values()).size).toBeLessThanOrEqual(1)
      // The cycle repeats, and negative rounds wrap.
      expect(roundOrder(items, rows + 1)).toEqual(roundOrder(items, 1))
      expect(roundOrder(items, -1)).toEqual(roundOrder(items, rows - 1))
    }
    expect(roundOrder([], 3)).toEqual([])
    expect(roundOrder(['a', 'b', 'c', 'd'], 0)).toEqual(['a', 'b', 'd', 'c'])
  })
})

describe('runGroup with a fake clock', () => {
  it('reports ops/s, ratios against the baseline and compareTo, and targets', async () => {
    const w = fakeWorld()
    const group: Group = {
      name: 'g',
      compareTo: 'slow',
      baseline: w.syncCase('base', () => 1), // 1 us/op = 1,000,000 ops/s
      peers: [
        w.syncCase('half', () => 2, { target: { ratio: 0.4, of: 'base' } }),
        w.syncCase('slow', () => 4, { target: { ratio: 3, of: 'base' } }),
      ],
    }
    const result = await runGroup(group, options, w.hooks)
    expect(result.error).toBeUndefined()
    const by = Object.fromEntries(result.cases.map((c) => [c.name, c]))
    expect(by.base?.opsPerSec).toBeCloseTo(1_000_000, 0)
    expect(by.half?.opsPerSec).toBeCloseTo(500_000, 0)
    expect(by.base?.baseline).toBe(true)
    expect(by.half?.ratio).toBeCloseTo(0.5, 9)
    expect(by.slow?.ratio).toBeCloseTo(0.25, 9)
    expect(by.base?.compareRatio).toBeCloseTo(4, 9)
    expect(by.half?.target).toMatchObject({ of: 'base', ratio: 0.4, met: true })
    expect(by.half?.target?.actual).toBeCloseTo(0.5, 9)
    expect(by.slow?.target).toMatchObject({ met: false })
    expect(by.half?.samples).toHaveLength(options.rounds)
    const table = formatGroup(result, options)
    expect(table).toContain('met')
    expect(table).toContain('MISSED')
  })

  it('takes the median over rounds, not the mean', async () => {
    const w = fakeWorld()
    // Per-round cost in microseconds -> ops/s 500k, 1M, 250k, 500k, 125k: median 500k.
    const costs = [2, 1, 4, 2, 8]
    const group: Group = {
      name: 'g',
      baseline: w.syncCase('base', () => 1),
      peers: [w.syncCase('wobbly', (r) => (r === undefined ? 1 : costs[r]!))],
    }
    const result = await runGroup(group, options, w.hooks)
    const wobbly = result.cases.find((c) => c.name === 'wobbly')!
    expect(wobbly.samples.map((s) => Math.round(s))).toEqual([
      500_000, 1_000_000, 250_000, 500_000, 125_000,
    ])
    expect(wobbly.opsPerSec).toBeCloseTo(500_000, 0)
    expect(wobbly.ratio).toBeCloseTo(0.5, 9)
  })

  it('pairs the rounds for ratios, so drift between rounds cancels out', async () => {
    const w = fakeWorld()
    // The machine slows down 2.5x after round 1, and in round 2 only the peer ran before the
    // slowdown. In every round but round 2 the peer does 0.8 of the base's ops/s.
    const base = [1, 1, 2.5, 2.5, 2.5]
    const peer = [1.25, 1.25, 1.25, 3.125, 3.125]
    const group: Group = {
      name: 'g',
      baseline: w.syncCase('base', (r) => (r === undefined ? 1 : base[r]!)),
      peers: [
        w.syncCase('peer', (r) => (r === undefined ? 1 : peer[r]!), {
          target: { ratio: 0.8, of: 'base' },
          note: (medians, ratioOf) =>
            `medians ${Math.round(medians.get('peer')! / 1000)}k/${Math.round(medians.get('base')! / 1000)}k, paired ${ratioOf('peer', 'base').toFixed(3)}`,
        }),
      ],
    }
    const result = await runGroup(group, options, w.hooks)
    const by = Object.fromEntries(result.cases.map((c) => [c.name, c]))
    // The medians alone would say 800k / 400k = 2.
    expect(by.peer?.opsPerSec).toBeCloseTo(800_000, 0)
    expect(by.base?.opsPerSec).toBeCloseTo(400_000, 0)
    expect(by.peer?.ratio).toBeCloseTo(0.8, 9)
    expect(by.peer?.target).toMatchObject({ met: true })
    expect(by.peer?.target?.actual).toBeCloseTo(0.8, 9)
    expect(by.peer?.note).toBe('medians 800k/400k, paired 0.800')
  })

  it('pairedRatio leaves out rounds without a positive number on both sides', () => {
    expect(pairedRatio([2, 3, 8], [4, 3, 2])).toBe(1)
    expect(pairedRatio([2, Number.NaN, 8, 5], [4, 3, 0, 5])).toBe(0.75)
    expect(pairedRatio([1, 2], [0, Number.NaN])).toBeNaN()
    expect(pairedRatio([], [])).toBeNaN()
  })

  it('warms up every case first, then changes the order each round', async () => {
    const w = fakeWorld()
    const group: Group = {
      name: 'g',
      baseline: w.syncCase('a', () => 1),
      peers: [w.syncCase('b', () => 1), w.syncCase('c', () => 1)],
    }
    const result = await runGroup(group, { ...options, rounds: 4 }, w.hooks)
    const expected = [
      ['a', 'b', 'c'],
      ['c', 'b', 'a'],
      ['b', 'c', 'a'],
      ['a', 'c', 'b'],
    ]
    expect(result.order).toEqual(expected)
    // What actually ran, collapsed to one entry per run of consecutive calls.
    expect(w.log).toEqual([
      'warm-up',
      'a',
      'b',
      'c',
      ...expected.flatMap((order, r) => [`round ${r}`, ...order]),
    ])
  })

  it('awaits async cases and keeps `concurrency` operations in flight', async () => {
    let inFlight = 0
    let maxInFlight = 0
    let clock = 0
    const asyncCase: Case = {
      name: 'async',
      concurrency: 4,
      fn: async () => {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        clock += 2
        await new Promise((resolve) => setImmediate(resolve))
        inFlight--
      },
    }
    const group: Group = {
      name: 'g',
      baseline: {
        name: 'sync',
        fn: () => {
          clock += 1
        },
      },
      peers: [asyncCase],
    }
    const result = await runGroup(group, options, { now: () => clock / 1000 })
    const a = result.cases.find((c) => c.name === 'async')!
    expect(a.async).toBe(true)
    expect(a.concurrency).toBe(4)
    expect(maxInFlight).toBe(4)
    expect(a.ratio).toBeCloseTo(0.5, 9)
    expect(result.cases.find((c) => c.name === 'sync')?.async).toBe(false)
  })

  it('calls afterWarmup once before round 1 and a note function after the rounds', async () => {
    const w = fakeWorld()
    let calls = 0
    let callsAtWarmupEnd = -1
    let noteMedians: ReadonlyMap<string, number> | undefined
    const group: Group = {
      name: 'g',
      baseline: w.syncCase('base', () => 1, { note: 'static' }),
      peers: [
        {
          name: 'counted',
          fn: () => {
            calls++
            w.syncCase('counted', () => 2).fn()
          },
          note: (medians) => {
            noteMedians = medians
            return `calls after warm-up: ${calls - callsAtWarmupEnd}`
          },
        },
        w.syncCase('silent', () => 1, { note: () => undefined }),
      ],
      afterWarmup: () => {
        expect(w.log.at(-1)).toBe('silent') // every case warmed up, no round started yet
        callsAtWarmupEnd = calls
      },
    }
    const result = await runGroup(group, options, w.hooks)
    expect(result.error).toBeUndefined()
    expect(callsAtWarmupEnd).toBeGreaterThan(0)
    expect(noteMedians?.get('base')).toBeCloseTo(1_000_000, 0)
    expect(noteMedians?.get('counted')).toBeCloseTo(500_000, 0)
    const by = Object.fromEntries(result.cases.map((c) => [c.name, c]))
    expect(by.base?.note).toBe('static')
    expect(by.counted?.note).toBe(`calls after warm-up: ${calls - callsAtWarmupEnd}`)
    expect(by.silent?.note).toBeUndefined()
    expect(formatGroup(result, options)).toContain('* counted: calls after warm-up:')
  })

  it('skips a group whose setup throws SkipGroup and fails one whose setup throws otherwise', async () => {
    const w = fakeWorld()
    let tornDown = 0
    const make = (error: Error): Group => ({
      name: 'g',
      setup: () => {
        throw error
      },
      teardown: () => {
        tornDown++
      },
      baseline: w.syncCase('a', () => 1),
      peers: [],
    })
    const skipped = await runGroup(make(new SkipGroup('redis is not running')), options, w.hooks)
    expect(skipped).toMatchObject({ skipped: 'redis is not running', cases: [] })
    expect(skipped.error).toBeUndefined()
    const failed = await runGroup(make(new Error('boom')), options, w.hooks)
    expect(failed).toMatchObject({ error: 'boom', cases: [] })
    expect(tornDown).toBe(2)
  })

  it('rejects a target that names no case', async () => {
    const w = fakeWorld()
    const group: Group = {
      name: 'g',
      baseline: w.syncCase('a', () => 1),
      peers: [w.syncCase('b', () => 1, { target: { ratio: 1, of: 'nope' } })],
    }
    const result = await runGroup(group, options, w.hooks)
    expect(result.error).toMatch(/target case "nope"/)
  })
})

describe('filterGroups', () => {
  const c = (name: string, extra: Partial<Case> = {}): Case => ({ name, fn: () => 0, ...extra })
  const groups: Group[] = [
    {
      name: 'core/hmac',
      compareTo: 'subtle',
      baseline: c('raw'),
      peers: [c('core sync', { target: { ratio: 1, of: 'raw' } }), c('subtle'), c('other')],
    },
    { name: 'store/sqlite', baseline: c('raw'), peers: [c('core')] },
  ]

  it('keeps whole groups that match by name', () => {
    expect(filterGroups(groups, 'SQLITE').map((g) => g.name)).toEqual(['store/sqlite'])
    expect(filterGroups(groups, undefined)).toHaveLength(2)
  })

  it('keeps matching cases plus the ones their ratios need', () => {
    const [g] = filterGroups(groups, 'core sync')
    expect(g?.baseline.name).toBe('raw')
    expect(g?.peers.map((p) => p.name)).toEqual(['core sync', 'subtle'])
  })
})
