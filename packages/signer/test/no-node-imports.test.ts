/**
 * `@countersign/signer` runs on the Web platform: no source file imports a `node:` module,
 * references Node's types or names `Buffer`, and a browser bundle of `src/index.ts` has no
 * `node:` import.
 */
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

describe('the signer is Web-only', () => {
  it('no source file uses a node: module, Node types or Buffer', () => {
    const files = sourceFiles(SRC).filter((path) => !isTestFile(path))
    expect(files.length).toBeGreaterThanOrEqual(8)
    const offenders = files.flatMap((path) =>
      scan(path).map((finding) => `${relative(SRC, path)} ${finding}`),
    )
    expect(offenders).toEqual([])
  })

  it('the scanner sees a node: import and Buffer (it is not blind)', () => {
    expect(scan(fileURLToPath(import.meta.url)).some((f) => f.startsWith('node-import'))).toBe(true)
  })

  it('a browser bundle of src/index.ts has no node: import', async () => {
    const result = await build({
      entryPoints: [join(SRC, 'index.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
      external: ['@countersign/*'],
    })
    const code = result.outputFiles.map((f) => f.text).join('\n')
    expect(code).toContain('signMessage')
    expect(code).not.toMatch(/(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)["']node:/)
  })
})
