import { defineConfig } from 'tsup'
import { baseConfig } from '../../tsup.config.base.ts'

export default defineConfig({
  ...baseConfig,
  // One entry per `exports` key. The Node adapters import node: modules and their frameworks'
  // types; they stay external (the frameworks are optional peers).
  entry: {
    index: 'src/index.ts',
    node: 'src/adapters/node.ts',
    express: 'src/adapters/express.ts',
    fastify: 'src/adapters/fastify.ts',
    hono: 'src/adapters/hono.ts',
  },
  external: [/^node:/, /^@countersign\//, 'express', 'fastify', 'hono'],
  removeNodeProtocol: false,
  dts: { compilerOptions: { types: ['node'] } },
})
