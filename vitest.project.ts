import { basename, resolve } from 'node:path'
import { defineConfig, type ViteUserConfig } from 'vitest/config'

/**
 * The Vitest config every package uses: tests beside the code and in test/, and a JSON report in
 * the repo's .test-results/ so `pnpm test:all` can print one closing count.
 */
export function countersignProject(dir: string, test: NonNullable<ViteUserConfig['test']> = {}) {
  const name = basename(dir)
  return defineConfig({
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      restoreMocks: true,
      // Property tests run hundreds of cases; on 2 shared cores a busy machine can take longer than
      // Vitest's 5 s default without anything being wrong. No test asserts a duration.
      testTimeout: 30_000,
      hookTimeout: 60_000,
      reporters: ['default', 'json'],
      outputFile: { json: resolve(dir, '../../.test-results', `${name}.json`) },
      ...test,
    },
  })
}
