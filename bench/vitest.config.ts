import { resolve } from 'node:path'
import { countersignProject } from '../vitest.project.ts'

// bench/ sits one level below the root, so point the JSON report at the root's .test-results/.
export default countersignProject(import.meta.dirname, {
  outputFile: { json: resolve(import.meta.dirname, '../.test-results/bench.json') },
})
