/**
 * `@countersign/verifier` runs on the Web platform; only the framework adapters for Node
 * (`src/adapters/node.ts`, `express.ts`, `fastify.ts` and `src/adapters/internal/`) may touch
 * Node. The Hono adapter is Web-only too.
 *
 * (a) No other source file imports a `node:` module, references Node's types, or names `Buffer`.
 * (b) A browser bundle of `src/index.ts` and of `src/adapters/hono.ts` has no `node:` import.
 * (c) The package's `exports` and the tsup entries match one for one.
 */
import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  isTestFile,
  scanNodeDependencies as scan,
  sourceFiles,
} from '@countersign/testkit/web-only.ts'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SRC = join(ROOT, 'src')
const NODE_ADAPTERS = /^adapters\/(?:node|express|fastify)\.ts$|^adapters\/internal\//

const files = sourceFiles(SRC).map((p) => relative(SRC, p).split('\\').join('/'))

describe('(a) source files', () => {
  it('finds the source tree, with the Node adapters', () => {
    expect(files).toContain('index.ts')
    expect(files).toContain('adapters/node.ts')
    expect(files).toContain('adapters/hono.ts')
  })

  it('use no node: module, Node types or Buffer outside the Node adapters', () => {
    const offenders: string[] = []
    for (const file of files) {
      if (isTestFile(file) || NODE_ADAPTERS.test(file)) {
        continue
      }
      for (const finding of scan(join(SRC, file))) {
        offenders.push(`${file} ${finding}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('detects what it looks for (the scanner is not blind)', () => {
    expect(scan(join(SRC, 'adapters/node.ts')).some((f) => f.startsWith('node-import'))).toBe(true)
    expect(
      scan(join(SRC, 'adapters/internal/node-io.ts')).some((f) => f.startsWith('Buffer')),
    ).toBe(true)
  })
})

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(SRC, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
    external: ['@countersign/*', 'hono', 'hono/*'],
  })
  return result.outputFiles.map((f) => f.text).join('\n')
}

const NODE_IMPORT = /(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)["']node:/

describe('(b) browser bundles', () => {
  it.each(['index.ts', 'adapters/hono.ts'])('of src/%s have no node: import', async (entry) => {
    const code = await bundle(entry)
    expect(code.length).toBeGreaterThan(1000)
    expect(code).not.toMatch(NODE_IMPORT)
    expect(code).not.toContain('"node:')
  })
})

describe('(c) exports and build entries', () => {
  it('every exports key has a tsup entry, types first, and the other way round', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { types: string; default: string }>
    }
    const { default: config } = (await import('../tsup.config.ts')) as {
      default: { entry: Record<string, string> }
    }
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json')
    const fromExports = subpaths.map((k) => (k === '.' ? 'index' : k.slice(2))).sort()
    expect(fromExports).toEqual(Object.keys(config.entry).sort())
    for (const key of subpaths) {
      const target = pkg.exports[key] as { types: string; default: string }
      expect(Object.keys(target)).toEqual(['types', 'default'])
      const name = key === '.' ? 'index' : key.slice(2)
      expect(target).toEqual({ types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` })
    }
  })
})
