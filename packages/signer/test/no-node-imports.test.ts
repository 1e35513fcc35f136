/**
 * `@countersign/signer` runs on the Web platform: no source file imports a `node:` module,
 * references Node's types or names `Buffer`, and a browser bundle of `src/index.ts` has no
 * `node:` import.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SRC = join(ROOT, 'src')

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      out.push(...sourceFiles(path))
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      out.push(path)
    }
  }
  return out
}

/** Node dependencies in a file's syntax tree (comments and prose do not count). */
function scan(path: string): string[] {
  const text = readFileSync(path, 'utf8')
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const found: string[] = []
  const line = (node: ts.Node) => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1
  for (const ref of file.typeReferenceDirectives) {
    if (ref.fileName === 'node') {
      found.push('node-types')
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) && /^node:/.test(node.text)) {
      found.push(`node-import:${line(node)}`)
    }
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require'
    ) {
      found.push(`require:${line(node)}`)
    }
    if (ts.isIdentifier(node) && (node.text === 'Buffer' || node.text === 'NodeJS')) {
      found.push(`${node.text}:${line(node)}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

describe('the signer is Web-only', () => {
  it('no source file uses a node: module, Node types or Buffer', () => {
    const files = sourceFiles(SRC)
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
