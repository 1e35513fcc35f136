/**
 * Helpers for the "this package is Web-only" tests: list a package's source files and find
 * every Node dependency in a file's syntax tree (comments and prose do not count).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

/** Every `.ts` file below `dir`, tests included (callers filter). */
export function sourceFiles(dir: string): string[] {
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

/** Whether `path` is a test file (`*.test.ts` or `test-*.ts`). */
export function isTestFile(path: string): boolean {
  return /\.test\.ts$/.test(path) || /(^|\/)test-[^/]*\.ts$/.test(path)
}

/**
 * Node dependencies in a file: `node:` module specifiers, `/// <reference types="node" />`,
 * `require(...)` calls and the `Buffer` / `NodeJS` identifiers, each with its line.
 */
export function scanNodeDependencies(path: string): string[] {
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
