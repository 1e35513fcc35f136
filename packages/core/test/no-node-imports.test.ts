/**
 * `@countersign/core` runs on the Web platform; only the Node crypto backend may touch Node.
 *
 * (a) No source file except crypto/node.ts and crypto/backend-node.ts (and tests) imports a
 *     `node:` module, references Node's types, or names `Buffer`; node.ts names `Buffer` only
 *     in its import and the one helper that feeds DER to node:crypto.
 * (b) A browser bundle of src/index.ts (everything inlined) has no `node:` import.
 * (c) The `node` build, bundled with the real plugin from tsup.config.ts, imports node:crypto,
 *     and the default build does not.
 *
 * (b) and (c) bundle with esbuild in memory, so they run without a prior `pnpm build`.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BuildOptions, build, type Plugin } from 'esbuild'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SRC = join(ROOT, 'src')

const NODE_ALLOWED = new Set(['crypto/node.ts', 'crypto/backend-node.ts'])

function isTestFile(path: string): boolean {
  return /\.test\.ts$/.test(path) || /(^|\/)test-[^/]*\.ts$/.test(path) || path.startsWith('test/')
}

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      out.push(...sourceFiles(path))
    } else if (entry.name.endsWith('.ts')) {
      out.push(path)
    }
  }
  return out
}

interface Finding {
  readonly kind: 'node-import' | 'node-types' | 'buffer'
  readonly line: number
  /** The name of the enclosing function declaration, if any. */
  readonly inFunction: string | undefined
  readonly inImport: boolean
}

/** Walks a file's syntax tree (so comments and prose do not count) for Node dependencies. */
function scan(path: string): Finding[] {
  const text = readFileSync(path, 'utf8')
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const findings: Finding[] = []
  const lineOf = (node: ts.Node) => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1
  for (const ref of file.typeReferenceDirectives) {
    if (ref.fileName === 'node') {
      findings.push({
        kind: 'node-types',
        line: file.getLineAndCharacterOfPosition(ref.pos).line + 1,
        inFunction: undefined,
        inImport: false,
      })
    }
  }
  const visit = (node: ts.Node, fn: string | undefined, inImport: boolean): void => {
    let nextFn = fn
    let nextImport = inImport
    if (ts.isFunctionDeclaration(node) && node.name !== undefined) {
      nextFn = node.name.text
    }
    if (
      ts.isImportDeclaration(node) ||
      ts.isExportDeclaration(node) ||
      ts.isImportEqualsDeclaration(node)
    ) {
      nextImport = true
    }
    if (ts.isStringLiteralLike(node) && /^node:/.test(node.text)) {
      findings.push({ kind: 'node-import', line: lineOf(node), inFunction: fn, inImport })
    }
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require'
    ) {
      findings.push({ kind: 'node-import', line: lineOf(node), inFunction: fn, inImport })
    }
    if (
      (ts.isIdentifier(node) && node.text === 'Buffer') ||
      (ts.isStringLiteralLike(node) && node.text === 'Buffer')
    ) {
      findings.push({ kind: 'buffer', line: lineOf(node), inFunction: fn, inImport })
    }
    ts.forEachChild(node, (child) => visit(child, nextFn, nextImport))
  }
  visit(file, undefined, false)
  return findings
}

describe('(a) source files', () => {
  const files = sourceFiles(SRC).map((path) => relative(SRC, path).split('\\').join('/'))

  it('finds the source tree, including the Node backend', () => {
    expect(files).toContain('crypto/node.ts')
    expect(files).toContain('crypto/web.ts')
    expect(files).toContain('index.ts')
    expect(files.filter((f) => !isTestFile(f)).length).toBeGreaterThanOrEqual(12)
  })

  it('import node: modules, use Node types or Buffer only in the Node backend', () => {
    const offenders: string[] = []
    for (const file of files) {
      if (isTestFile(file) || NODE_ALLOWED.has(file)) {
        continue
      }
      for (const finding of scan(join(SRC, file))) {
        offenders.push(`${file}:${finding.line} ${finding.kind}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('detects what it looks for (the scanner is not blind)', () => {
    const kinds = new Set(scan(join(SRC, 'crypto/node.ts')).map((f) => f.kind))
    expect(kinds).toEqual(new Set(['node-import', 'node-types', 'buffer']))
  })

  it('node.ts names Buffer only in its import and the DER helper', () => {
    const buffers = scan(join(SRC, 'crypto/node.ts')).filter((f) => f.kind === 'buffer')
    expect(buffers.length).toBeGreaterThan(0)
    const stray = buffers.filter((f) => !f.inImport && f.inFunction !== 'der')
    expect(stray).toEqual([])
  })
})

/** The `node` build's plugin and options, read from the real tsup config. */
async function nodeBuildConfig(): Promise<{
  plugins: Plugin[]
  platform: BuildOptions['platform']
}> {
  const { default: configs } = (await import('../tsup.config.ts')) as {
    default: { entry: Record<string, string>; esbuildPlugins?: Plugin[]; platform?: string }[]
  }
  const node = configs.find((c) => 'node' in c.entry)
  expect(node?.esbuildPlugins?.length).toBeGreaterThan(0)
  expect(node?.platform).toBe('node')
  return { plugins: node!.esbuildPlugins!, platform: 'node' }
}

async function bundle(options: BuildOptions): Promise<string> {
  const result = await build({
    bundle: true,
    write: false,
    format: 'esm',
    logLevel: 'silent',
    absWorkingDir: ROOT,
    ...options,
  })
  return result.outputFiles!.map((f) => f.text).join('\n')
}

/** The modules of the crypto half: present even while other parts of core are being written. */
const CRYPTO_ENTRY = {
  contents: [
    "export * from './src/crypto/backend.ts'",
    "export * from './src/crypto/random.ts'",
    "export * from './src/crypto/timing-safe-equal.ts'",
    "export * from './src/keys/thumbprint.ts'",
    "export * from './src/keys/key-ring.ts'",
    "export * from './src/crypto/web.ts'",
  ].join('\n'),
  resolveDir: ROOT,
  sourcefile: 'crypto-entry.ts',
  loader: 'ts' as const,
}

const NODE_IMPORT = /(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)["']node:/

describe('(b) browser bundle', () => {
  it('of src/index.ts has no node: import', async () => {
    const code = await bundle({ entryPoints: [join(SRC, 'index.ts')], platform: 'browser' })
    expect(code.length).toBeGreaterThan(10_000)
    expect(code).toContain('webBackend')
    expect(code).not.toMatch(NODE_IMPORT)
    expect(code).not.toContain('"node:')
  })

  it('of the crypto modules has no node: import', async () => {
    const code = await bundle({ stdin: CRYPTO_ENTRY, platform: 'browser' })
    expect(code).toContain('crypto.subtle')
    expect(code).not.toMatch(NODE_IMPORT)
    expect(code).not.toContain('"node:')
  })
})

describe('(c) node and default builds', () => {
  it('the node build of src/index.ts uses node:crypto; the default build does not', async () => {
    const { plugins, platform } = await nodeBuildConfig()
    const nodeCode = await bundle({ entryPoints: [join(SRC, 'index.ts')], platform, plugins })
    expect(nodeCode).toMatch(/from\s*["']node:crypto["']/)
    const webCode = await bundle({
      entryPoints: [join(SRC, 'index.ts')],
      platform: 'neutral',
      mainFields: ['module', 'main'],
    })
    expect(webCode).not.toMatch(NODE_IMPORT)
  })

  it('the node build of the crypto modules binds nodeBackend as the backend', async () => {
    const { plugins, platform } = await nodeBuildConfig()
    const nodeCode = await bundle({ stdin: CRYPTO_ENTRY, platform, plugins })
    expect(nodeCode).toMatch(/from\s*["']node:crypto["']/)
    expect(nodeCode).toMatch(/name:\s*"node"/)
    const webCode = await bundle({ stdin: CRYPTO_ENTRY, platform: 'neutral' })
    expect(webCode).not.toMatch(NODE_IMPORT)
    expect(webCode).not.toMatch(/name:\s*"node"/)
  })
})
