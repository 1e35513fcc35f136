import { countersignProject } from '../../vitest.project.ts'

export default countersignProject(import.meta.dirname, { testTimeout: 30_000, hookTimeout: 60_000 })
