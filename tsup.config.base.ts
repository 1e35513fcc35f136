import type { Options } from 'tsup'

/**
 * Shared build options: ESM only, declarations, no platform conditions baked in. Source maps
 * point at the sources without embedding them (`sourcesContent: false`), so installs stay small.
 */
export const baseConfig = {
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  esbuildOptions(options) {
    options.sourcesContent = false
  },
} satisfies Options
