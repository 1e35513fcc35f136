import { countersignProject } from '../../vitest.project.ts'

export default countersignProject(import.meta.dirname)
