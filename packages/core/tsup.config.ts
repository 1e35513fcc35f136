import { fileURLToPath } from 'node:url'
import { defineConfig, type Options } from 'tsup'
import { baseConfig } from '../../tsup.config.base.ts'

const nodeBackend = fileURLToPath(new URL('./src/crypto/backend-node.ts', import.meta.url))

/** Swaps the Web Crypto backend for the node:crypto one in the `node` build. */
const useNodeBackend: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'countersign-node-backend',
  setup(build) {
    build.onResolve({ filter: /[\\/]backend\.ts$/ }, (args) =>
      args.importer.includes('/src/') ? { path: nodeBackend } : undefined,
    )
  },
}

export default defineConfig([
  { ...baseConfig, entry: { index: 'src/index.ts', 'store-kit': 'src/store/kit.ts' } },
  {
    ...baseConfig,
    entry: { node: 'src/index.ts' },
    dts: false,
    clean: false,
    platform: 'node',
    esbuildPlugins: [useNodeBackend],
  },
])
