import { defineConfig } from 'tsup'
import { baseConfig } from '../../tsup.config.base.ts'

export default defineConfig({
  ...baseConfig,
  entry: { index: 'src/index.ts', sqlite: 'src/sqlite/index.ts' },
  external: [/^node:/, /^@countersign\//],
  // `sqlite` exists only as `node:sqlite`: keep the protocol on every built-in import.
  removeNodeProtocol: false,
})
