import { defineConfig } from 'tsup'
import { baseConfig } from '../../tsup.config.base.ts'

export default defineConfig({
  ...baseConfig,
  entry: {
    countersign: 'src/bin/countersign.ts',
    'countersign-tokens': 'src/bin/countersign-tokens.ts',
    'countersign-relay': 'src/bin/countersign-relay.ts',
  },
  platform: 'node',
  dts: false,
  external: [/^node:/, /^@countersign\//, 'redis'],
  removeNodeProtocol: false,
})
