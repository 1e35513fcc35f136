import { defineConfig } from 'tsup'
import { baseConfig } from '../../tsup.config.base.ts'

export default defineConfig({
  ...baseConfig,
  entry: {
    index: 'src/index.ts',
    node: 'src/node/index.ts',
    verify: 'src/verify/index.ts',
  },
  external: [/^node:/, /^@countersign\//],
  removeNodeProtocol: false,
})
