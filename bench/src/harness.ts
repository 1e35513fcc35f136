/**
 * A small side-by-side benchmark harness.
 *
 * A {@link Group} holds a baseline and its peers. Every case of a group runs in the same process,
 * in interleaved rounds: one warm-up (which also calibrates a batch size), then `rounds` rounds in
 * which each case runs for `timeMs`, in an order that changes every round (a Williams design,
 * {@link roundOrder}) so that no case always runs first, last, or right after the same other
 * case. A case's score is the median ops/s over the rounds. Its ratio to another case is the
 * median over the rounds of the two cases' ratio within each round ({@link pairedRatio}), so
 * a machine that speeds up or slows down between rounds moves both sides of each ratio alike.
 * Targets are reported as met or missed and never fail the run: benchmarks report, they don't
 * gate.
 *
 * @module
 */

/** One operation to measure. */
export interface Case {
  /** Unique within its group; targets and `compareTo` refer to cases by this name. */
  name: string
  /**
   * Runs one operation. A function that returns a promise is awaited (detected on the first
   * call during warm-up).
   */
  fn: () => unknown
  /** Async cases only: how many operations to keep in flight. Default 1 (await each). */
  concurrency?: number
  /** A ratio this case aims for against another case of the same group. Reported, never enforced. */
  target?: Target
  /**
   * One line shown under the table, e.g. what is being compared. A function is called once after
   * the rounds ({@link NoteFunction}), so a case can report what it recorded itself (latency
   * percentiles, say) or a ratio the table has no column for; returning `undefined` or `''`
   * shows no line.
   */
  note?: string | NoteFunction
}

/**
 * A case's note, written after the rounds from every case's median ops/s (`medians`, by name)
 * and `ratioOf(name, of)`, the {@link pairedRatio} of two cases.
 */
export type NoteFunction = (
  medians: ReadonlyMap<string, number>,
  ratioOf: (name: string, of: string) => number,
) => string | undefined

/** "This case should reach `ratio` times the ops/s of case `of`." */
export interface Target {
  ratio: number
  of: string
}

/** A baseline and the peers measured against it. */
export interface Group {
  /** Shown as the table title and matched by `--filter`. */
  name: string
  /** Ratios are relative to this case. */
  baseline: Case
  peers: Case[]
  /** Name of a case (baseline or peer) to show a second ratio column against. */
  compareTo?: string
  /**
   * Runs once before the group's warm-up. Throw {@link SkipGroup} to skip the group (a missing
   * service); any other throw marks the group failed.
   */
  setup?: () => unknown
  /**
   * Runs once after every case's warm-up, before round 1: e.g. to clear what the cases recorded
   * while warming up.
   */
  afterWarmup?: () => unknown
  /** Runs once after the group, also when it failed. */
  teardown?: () => unknown
}

/** How a run is shaped. */
export interface RunOptions {
  /** Measured rounds. */
  rounds: number
  /** Milliseconds each case runs per round. */
  timeMs: number
  /** Milliseconds of warm-up per case before round 1. */
  warmupMs: number
  /** Only groups or cases whose `group/case` name contains this substring (case-insensitive). */
  filter?: string
}

/** A clock in milliseconds and an optional progress callback; replaceable in tests. */
export interface RunHooks {
  /** Milliseconds from an arbitrary origin. Default `performance.now`. */
  now?: () => number
  /** Called before a group's warm-up (`round` undefined) and before each round (0-based). */
  onProgress?: (message: string, round: number | undefined) => void
}

/** One case's outcome. */
export interface CaseResult {
  name: string
  baseline: boolean
  async: boolean
  concurrency: number
  /** ops/s of each round, in round order. */
  samples: number[]
  /** Median of `samples`. */
  opsPerSec: number
  /** Median absolute deviation of `samples` relative to the median (0.01 = 1%). */
  spread: number
  /** {@link pairedRatio} of its samples to the baseline's. */
  ratio: number
  /** {@link pairedRatio} of its samples to `compareTo`'s, when the group names one. */
  compareRatio?: number
  target?: Target & { actual: number; met: boolean }
  note?: string
}

/** One group's outcome. */
export interface GroupResult {
  name: string
  baseline: string
  compareTo?: string
  /** Set when setup or a case threw; `cases` is then empty and the run exits non-zero. */
  error?: string
  /** Set when setup threw a {@link SkipGroup} (e.g. Redis is not running); not a failure. */
  skipped?: string
  /** Case names in the order they ran, one array per measured round. */
  order: string[][]
  cases: CaseResult[]
}

/** Thrown by a group's setup when something it needs is unavailable; the group is skipped. */
export class SkipGroup extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'SkipGroup'
  }
}

/** Roughly how long one timed batch should take, so reading the clock costs little. */
const BATCH_TARGET_MS = 1
const MAX_BATCH = 1 << 20

/** Holds the last result so the engine cannot drop the work. */
let sink: unknown

/** The last value a measured operation returned (keeps results observable). */
export function lastResult(): unknown {
  return sink
}

/** The median of `values` (mean of the middle two for an even count); `NaN` when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) {
    return Number.NaN
  }
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Median absolute deviation divided by the median (0 when the median is 0). */
export function relativeSpread(values: readonly number[]): number {
  const m = median(values)
  if (!(m > 0)) {
    return 0
  }
  return median(values.map((v) => Math.abs(v - m))) / m
}

/** `value / base`, or `NaN` when `base` is not a positive number. */
export function ratio(value: number, base: number): number {
  return base > 0 ? value / base : Number.NaN
}

/**
 * The median over rounds of `samples[r] / base[r]`: each round's ratio of a case to another.
 * Drift of the machine's speed from round to round cancels out of it, whereas a quotient of two
 * medians can take each median from rounds of a different speed. Rounds where either side is
 * not a positive number are left out; `NaN` when none is left.
 */
export function pairedRatio(samples: readonly number[], base: readonly number[]): number {
  const ratios: number[] = []
  for (let r = 0; r < Math.min(samples.length, base.length); r++) {
    const value = ratio(samples[r]!, base[r]!)
    if (Number.isFinite(value)) {
      ratios.push(value)
    }
  }
  return median(ratios)
}

/**
 * The order of `items` in round `round` (0-based), from a Williams design: a Latin square whose
 * rows are balanced for what ran just before. Over `n` rounds (`n` even) or `2n` rounds (`n`
 * odd), every item runs in every position equally often and follows every other item equally
 * often, so what one case leaves behind for the next (garbage to collect, sockets to close) does
 * not always land on the same case. Row `k` is `0, 1, n-1, 2, n-2, …` plus `k` (mod `n`); for
 * odd `n`, rounds alternate between row `k` and row `k` reversed.
 */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const n = items.length
  if (n === 0) {
    return []
  }
  const odd = n % 2 === 1
  const rows = odd ? 2 * n : n
  const r = ((round % rows) + rows) % rows
  const shift = odd ? r >> 1 : r
  const order: T[] = []
  for (let i = 0; i < n; i++) {
    // 0, 1, n-1, 2, n-2, ...: odd positions count up, even ones (after the first) count down.
    const base = i % 2 === 1 ? (i + 1) >> 1 : (n - (i >> 1)) % n
    order.push(items[(base + shift) % n]!)
  }
  return odd && r % 2 === 1 ? order.reverse() : order
}

/** Every case of a group, baseline first. */
export function casesOf(group: Group): Case[] {
  return [group.baseline, ...group.peers]
}

/**
 * Narrows `groups` to `filter` (case-insensitive substring of `group` or `group/case`). A group
 * that matches by name keeps every case; otherwise it keeps the matching cases plus the cases
 * their ratios need (baseline, `compareTo`, target cases). Groups with no match are dropped.
 */
export function filterGroups(groups: readonly Group[], filter: string | undefined): Group[] {
  if (!filter) {
    return [...groups]
  }
  const needle = filter.toLowerCase()
  const out: Group[] = []
  for (const group of groups) {
    if (group.name.toLowerCase().includes(needle)) {
      out.push(group)
      continue
    }
    const matched = casesOf(group).filter((c) =>
      `${group.name}/${c.name}`.toLowerCase().includes(needle),
    )
    if (matched.length === 0) {
      continue
    }
    const keep = new Set(matched.map((c) => c.name))
    if (group.compareTo) {
      keep.add(group.compareTo)
    }
    for (const c of matched) {
      if (c.target) {
        keep.add(c.target.of)
      }
    }
    out.push({ ...group, peers: group.peers.filter((c) => keep.has(c.name)) })
  }
  return out
}

/** Throws `TypeError` on duplicate names, unknown `compareTo`/target names or bad concurrency. */
export function validateGroup(group: Group): void {
  const names = new Set<string>()
  for (const c of casesOf(group)) {
    if (names.has(c.name)) {
      throw new TypeError(`group "${group.name}": duplicate case name "${c.name}"`)
    }
    names.add(c.name)
    const k = c.concurrency ?? 1
    if (!Number.isInteger(k) || k < 1) {
      throw new TypeError(`group "${group.name}", case "${c.name}": concurrency must be >= 1`)
    }
  }
  if (group.compareTo !== undefined && !names.has(group.compareTo)) {
    throw new TypeError(`group "${group.name}": compareTo "${group.compareTo}" is not a case`)
  }
  for (const c of casesOf(group)) {
    if (c.target && !names.has(c.target.of)) {
      throw new TypeError(
        `group "${group.name}", case "${c.name}": target case "${c.target.of}" is not a case`,
      )
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

interface Prepared {
  c: Case
  async: boolean
  concurrency: number
  batch: number
}

/**
 * Runs batches of operations until `timeMs` has passed (at least one batch); returns the
 * operation count and the elapsed milliseconds.
 */
async function timed(p: Prepared, timeMs: number, now: () => number): Promise<[number, number]> {
  const { fn } = p.c
  const { batch } = p
  let ops = 0
  const start = now()
  let elapsed = 0
  if (!p.async) {
    do {
      for (let i = 0; i < batch; i++) {
        sink = fn()
      }
      ops += batch
      elapsed = now() - start
    } while (elapsed < timeMs)
    return [ops, elapsed]
  }
  // Each worker keeps one operation in flight and runs at least one batch.
  const worker = async (): Promise<void> => {
    do {
      for (let i = 0; i < batch; i++) {
        sink = await fn()
      }
      ops += batch
    } while (now() - start < timeMs)
  }
  await Promise.all(Array.from({ length: p.concurrency }, worker))
  elapsed = now() - start
  return [ops, elapsed]
}

/** Detects sync/async, finds a batch size that takes about 1 ms, then warms up for `warmupMs`. */
async function prepare(c: Case, warmupMs: number, now: () => number): Promise<Prepared> {
  const first = c.fn()
  const async = isThenable(first)
  if (async) {
    sink = await first
  }
  const concurrency = c.concurrency ?? 1
  if (!async && concurrency > 1) {
    throw new TypeError(`case "${c.name}": concurrency needs an async fn`)
  }
  const p: Prepared = { c, async, concurrency, batch: 1 }
  // Grow the batch until one batch (per worker) takes about BATCH_TARGET_MS.
  for (;;) {
    const [, elapsed] = await timed(p, 0, now)
    if (elapsed >= BATCH_TARGET_MS || p.batch >= MAX_BATCH) {
      break
    }
    p.batch *= 2
  }
  await timed(p, warmupMs, now)
  return p
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Runs one group: setup, warm-up, interleaved rounds, teardown. */
export async function runGroup(
  group: Group,
  options: RunOptions,
  hooks: RunHooks = {},
): Promise<GroupResult> {
  const now = hooks.now ?? (() => performance.now())
  const progress = hooks.onProgress ?? (() => {})
  const cases = casesOf(group)
  const result: GroupResult = {
    name: group.name,
    baseline: group.baseline.name,
    ...(group.compareTo === undefined ? {} : { compareTo: group.compareTo }),
    order: [],
    cases: [],
  }
  try {
    validateGroup(group)
    await group.setup?.()
    progress(`${group.name}: warm-up`, undefined)
    const prepared: Prepared[] = []
    for (const c of cases) {
      prepared.push(await prepare(c, options.warmupMs, now))
    }
    await group.afterWarmup?.()
    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
    for (let round = 0; round < options.rounds; round++) {
      progress(`${group.name}: round ${round + 1}/${options.rounds}`, round)
      const order = roundOrder(prepared, round)
      result.order.push(order.map((p) => p.c.name))
      for (const p of order) {
        const gc = (globalThis as { gc?: () => void }).gc
        gc?.()
        const [ops, elapsed] = await timed(p, options.timeMs, now)
        samples.get(p.c.name)!.push(elapsed > 0 ? (ops * 1000) / elapsed : Number.NaN)
      }
    }
    const medians = new Map(cases.map((c) => [c.name, median(samples.get(c.name)!)]))
    const ratioOf = (name: string, of: string): number =>
      pairedRatio(samples.get(name) ?? [], samples.get(of) ?? [])
    for (const p of prepared) {
      const c = p.c
      const s = samples.get(c.name)!
      const opsPerSec = medians.get(c.name)!
      const r: CaseResult = {
        name: c.name,
        baseline: c === group.baseline,
        async: p.async,
        concurrency: p.concurrency,
        samples: s,
        opsPerSec,
        spread: relativeSpread(s),
        ratio: ratioOf(c.name, group.baseline.name),
      }
      if (group.compareTo !== undefined) {
        r.compareRatio = ratioOf(c.name, group.compareTo)
      }
      if (c.target) {
        const actual = ratioOf(c.name, c.target.of)
        r.target = { ...c.target, actual, met: actual >= c.target.ratio }
      }
      const note = typeof c.note === 'function' ? c.note(medians, ratioOf) : c.note
      if (note) {
        r.note = note
      }
      result.cases.push(r)
    }
  } catch (error) {
    if (error instanceof SkipGroup) {
      result.skipped = error.message
    } else {
      result.error = errorMessage(error)
    }
    result.cases = []
  } finally {
    try {
      await group.teardown?.()
    } catch (error) {
      result.error ??= `teardown: ${errorMessage(error)}`
    }
  }
  return result
}

/** Runs every group (after `filter`) one after another. */
export async function runGroups(
  groups: readonly Group[],
  options: RunOptions,
  hooks: RunHooks = {},
): Promise<GroupResult[]> {
  const results: GroupResult[] = []
  for (const group of filterGroups(groups, options.filter)) {
    results.push(await runGroup(group, options, hooks))
  }
  return results
}

// --- Output -----------------------------------------------------------------------------------

function formatOps(n: number): string {
  if (!Number.isFinite(n)) {
    return 'n/a'
  }
  if (n >= 100) {
    return Math.round(n).toLocaleString('en-US')
  }
  return n.toPrecision(3)
}

function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) {
    return 'n/a'
  }
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`
}

interface Column {
  head: string
  right: boolean
  cell: (c: CaseResult) => string
}

function caseLabel(c: CaseResult): string {
  const inFlight = c.concurrency > 1 ? ` [${c.concurrency} in flight]` : ''
  return `${c.name}${inFlight}${c.baseline ? ' (baseline)' : ''}`
}

function targetCell(c: CaseResult): string {
  if (!c.target) {
    return ''
  }
  const verdict = c.target.met ? 'met' : 'MISSED'
  return `>= ${c.target.ratio}x ${c.target.of}: ${verdict} (${formatRatio(c.target.actual)})`
}

/** A plain-text table for one group. */
export function formatGroup(result: GroupResult, options: RunOptions): string {
  const title = `${result.name}  (median of ${options.rounds} rounds x ${options.timeMs} ms)`
  if (result.skipped !== undefined) {
    return `${title}\n  skipped: ${result.skipped}\n`
  }
  if (result.error !== undefined) {
    return `${title}\n  FAILED: ${result.error}\n`
  }
  const columns: Column[] = [
    { head: 'case', right: false, cell: caseLabel },
    { head: 'ops/s', right: true, cell: (c) => formatOps(c.opsPerSec) },
    { head: '±', right: true, cell: (c) => `${(c.spread * 100).toFixed(1)}%` },
    { head: `vs ${result.baseline}`, right: true, cell: (c) => formatRatio(c.ratio) },
  ]
  if (result.compareTo !== undefined) {
    columns.push({
      head: `vs ${result.compareTo}`,
      right: true,
      cell: (c) => formatRatio(c.compareRatio),
    })
  }
  if (result.cases.some((c) => c.target)) {
    columns.push({ head: 'target', right: false, cell: targetCell })
  }
  const rows = result.cases.map((c) => columns.map((col) => col.cell(c)))
  const widths = columns.map((col, i) =>
    Math.max(col.head.length, ...rows.map((r) => r[i]!.length)),
  )
  const line = (cells: string[]): string =>
    `  ${cells
      .map((cell, i) => (columns[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')}`.trimEnd()
  const lines = [title, line(columns.map((col) => col.head))]
  lines.push(line(widths.map((w) => '-'.repeat(w))))
  for (const row of rows) {
    lines.push(line(row))
  }
  for (const c of result.cases) {
    if (c.note) {
      lines.push(`  * ${c.name}: ${c.note}`)
    }
  }
  return `${lines.join('\n')}\n`
}

/** What `results/*.json` holds. */
export interface Report {
  startedAt: string
  finishedAt: string
  environment: { node: string; platform: string; arch: string; cpus: number; cpuModel: string }
  options: RunOptions
  groups: GroupResult[]
}
