/**
 * Prints one line per runtime from the .test-results/conformance/<runtime>.json files that
 * run-runtime.js wrote, `missing` for a runtime that wrote none; exits 1 unless all passed.
 */
import { existsSync, readFileSync } from 'node:fs'
import { PACKAGES, RUNTIMES } from './packages.js'

const dir = process.argv[2] ?? '.test-results'
let ok = true
console.log('\nconformance suite, one line per runtime:')
for (const runtime of RUNTIMES) {
  const file = `${dir}/conformance/${runtime}.json`
  if (!existsSync(file)) {
    ok = false
    console.log(`  ${runtime}: missing (the runtime did not report)`)
    continue
  }
  const { results } = JSON.parse(readFileSync(file, 'utf8'))
  const failed = results.filter((r) => !r.ok).length
  const cells = PACKAGES.map(
    (p) => `${p} ${results.filter((r) => r.ok && r.packages.includes(p)).length}`,
  )
  // A README table cell is backed by at least one passing test of that package.
  ok &&= failed === 0 && !cells.some((cell) => cell.endsWith(' 0'))
  console.log(
    `  ${runtime}: ${results.length - failed} passed, ${failed} failed (${cells.join(', ')})`,
  )
}
process.exitCode = ok ? 0 : 1
