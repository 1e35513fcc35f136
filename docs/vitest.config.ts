import { resolve } from 'node:path'
import { countersignProject } from '../vitest.project.ts'

// docs/ sits one level below the root, so point the JSON report at the root's .test-results/.
export default countersignProject(import.meta.dirname, {
  include: ['lib/**/*.test.ts'],
  outputFile: { json: resolve(import.meta.dirname, '../.test-results/docs.json') },
})
