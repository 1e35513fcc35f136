// Sums the JSON reports Vitest wrote into .test-results/ and prints one closing line:
// "tests: N passed, N failed" (", N skipped" when any were skipped).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.argv[2] ?? '.test-results'
let passed = 0
let failed = 0
let skipped = 0
let files = 0
for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, name), 'utf8'))
  files++
  passed += report.numPassedTests ?? 0
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0)
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
}
if (files === 0) {
  console.log('tests: 0 passed, 1 failed (no Vitest report was written)')
  process.exitCode = 1
} else {
  console.log(`\n${files} test reports read`)
  console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
}
