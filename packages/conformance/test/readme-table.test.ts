/**
 * The root README's runtime × package table says what the conformance suite runs: one row per
 * runtime the suite runs on, one column per package it covers, and every claimed cell has tests
 * in the suite (run-runtime.js and summary.js then fail a runtime where such a test fails).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { PACKAGES, RUNTIMES } from '../src/packages.js'
import { EXPECTED_BACKEND } from '../src/runtime.js'
import { collectTests } from '../src/suite.js'

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
const start = readme.indexOf('| runtime |')
const rows = readme
  .slice(start)
  .split('\n')
  .filter((line) => line.startsWith('|'))
  .map((line) =>
    line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim()),
  )

const net = { webUrl: 'http://127.0.0.1:1', icypeas: { apiKey: 'k', secret: 's' } }

describe('the README runtime table', () => {
  it('has the packages as columns and the runtimes as rows, in the suite order', () => {
    expect(start).toBeGreaterThan(0)
    expect(rows[0]?.slice(1, 1 + PACKAGES.length)).toEqual(PACKAGES.map((p) => `\`${p}\``))
    expect(rows.slice(2).map((row) => row[0]?.replace(/\*/g, ''))).toEqual(
      RUNTIMES.map((r) =>
        r
          .replace(/^node(\d+)$/, 'Node $1')
          .replace(/^bun$/, 'Bun')
          .replace(/^deno$/, 'Deno')
          .replace(/^chromium$/, 'Chromium'),
      ),
    )
  })

  it('claims a cell only for packages the suite has tests of, local and over loopback', () => {
    const tests = collectTests(net)
    for (const pkg of PACKAGES) {
      expect(tests.filter((t) => t.packages.includes(pkg)).length, pkg).toBeGreaterThan(0)
    }
    for (const row of rows.slice(2)) {
      expect(
        row.slice(1, 1 + PACKAGES.length).every((cell) => cell.startsWith('✓')),
        row[0],
      ).toBe(true)
    }
  })

  it('names the backend the suite asserts for each runtime', () => {
    const backendColumn = rows[0]?.indexOf('core backend') ?? -1
    expect(backendColumn).toBeGreaterThan(0)
    expect(rows.slice(2).map((row) => row[backendColumn])).toEqual(
      RUNTIMES.map((r) =>
        EXPECTED_BACKEND[r as keyof typeof EXPECTED_BACKEND] === 'node'
          ? 'node:crypto'
          : 'Web Crypto',
      ),
    )
  })
})
