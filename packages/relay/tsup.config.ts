import { defineConfig } from 'tsup'
import { baseConfig } from '../../tsup.config.base.ts'

export default defineConfig({
  ...baseConfig,
  entry: {
    index: 'src/index.ts',
    node: 'src/node/index.ts',
    verify: 'src/verify/index.ts',
    // The signing worker's entry: `new Worker(new URL('./sign-worker-thread.js', import.meta.url))`.
    'sign-worker-thread': 'src/internal/sign-worker-thread.ts',
  },
  external: [/^node:/, /^@countersign\//],
  removeNodeProtocol: false,
})
