/**
 * Every TypeScript code block in the docs compiles against the packages' published types
 * (their `dist/*.d.ts`, as a user's editor sees them), so the guides cannot drift from the API.
 *
 * Each block is checked as its own module. A block may use names an earlier block on the same
 * page declared (`privateKey`, `verifier`), so "cannot find name" is tolerated; anything else
 * fails: an import that does not exist, a wrong option, a wrong argument or property type.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { extractSnippets } from './snippets.ts'

const DOCS = resolve(import.meta.dirname, '..')
const OUT = join(DOCS, 'node_modules', '.snippets')
const TS_LANGS = new Set(['ts', 'typescript', 'tsx', 'mts'])

/** "Cannot find name", "no value for the shorthand property": a name an earlier block declared. */
const TOLERATED = new Set([2304, 2552, 18004])

/** Runtime globals some runtime tabs use. */
const AMBIENT = `
declare namespace Deno {
  function serve(handler: (request: Request) => Response | Promise<Response>): unknown
}
declare const Bun: {
  serve(options: { port?: number; fetch(request: Request): Response | Promise<Response> }): unknown
}
`

function pages(): string[] {
  const md = (dir: string): string[] =>
    readdirSync(join(DOCS, dir))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(DOCS, dir, f))
  return [join(DOCS, 'index.md'), join(DOCS, 'README.md'), ...md('guides'), ...md('spec')]
}

function diagnostics(files: string[]): ts.Diagnostic[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    skipLibCheck: true,
  })
  return ts.getPreEmitDiagnostics(program).filter((d) => !TOLERATED.has(d.code))
}

afterAll(() => rmSync(OUT, { recursive: true, force: true }))

describe('docs code blocks', () => {
  it('finds the TypeScript blocks of every page (the extractor is not silently empty)', () => {
    const count = pages().flatMap((p) =>
      extractSnippets(readFileSync(p, 'utf8')).filter((s) => TS_LANGS.has(s.lang)),
    ).length
    expect(count).toBeGreaterThan(50)
  })

  it('type-checks every TypeScript block against the packages', () => {
    rmSync(OUT, { recursive: true, force: true })
    mkdirSync(OUT, { recursive: true })
    writeFileSync(join(OUT, 'package.json'), '{ "type": "module" }\n')
    writeFileSync(join(OUT, 'ambient.d.ts'), AMBIENT)
    const origin = new Map<string, string>()
    for (const page of pages()) {
      const name = relative(DOCS, page).replace(/[/.]/g, '_')
      for (const s of extractSnippets(readFileSync(page, 'utf8'))) {
        if (TS_LANGS.has(s.lang)) {
          const file = join(OUT, `${name}_L${s.line}.ts`)
          writeFileSync(file, s.code)
          origin.set(file, `${relative(DOCS, page)}:${s.line}`)
        }
      }
    }
    const problems = diagnostics([join(OUT, 'ambient.d.ts'), ...origin.keys()]).map((d) => {
      const where = d.file ? (origin.get(d.file.fileName) ?? d.file.fileName) : '?'
      const line =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0
      return `${where} (+${line + 1}): TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
    })
    expect(problems).toEqual([])
  }, 180_000) // one TypeScript program over every snippet: slow on a busy machine
})
