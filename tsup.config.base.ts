import type { Options } from 'tsup'

/** Shared build options: ESM only, declarations, no platform conditions baked in. */
export const baseConfig = {
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
} satisfies Options
