import { countersignProject } from '../../vitest.project.ts'

// One file at a time: each starts its own cluster, balancer and services on a small machine.
export default countersignProject(import.meta.dirname, {
  fileParallelism: false,
  testTimeout: 60_000,
  hookTimeout: 120_000,
})
