import { resolve } from 'node:path'
import { countersignProject } from '../vitest.project.ts'

// The browser test over the built site (run after `pnpm run docs`, by `pnpm test:all`).
export default countersignProject(import.meta.dirname, {
  name: 'docs-site',
  include: ['test/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  outputFile: { json: resolve(import.meta.dirname, '../.test-results/docs-site.json') },
})
