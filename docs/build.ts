/**
 * Builds the docs site into `docs/dist`:
 *
 * 1. API reference (`docs/api`, Markdown, not committed): TypeDoc with typedoc-plugin-markdown
 *    over the source file behind every `exports` key of every published package (see
 *    `lib/entry-points.ts`), warnings treated as errors.
 * 2. Site: VitePress renders `docs/index.md`, the guides, the spec, the per-code error pages
 *    (`errors/<code>.md`, generated from `guides/errors.md`), the decisions and the API reference with one
 *    theme, one navigation and one local search (`.vitepress/config.ts`). Dead links fail it.
 * 3. Link check: every internal link and `#anchor` in the generated HTML must resolve.
 *
 * Exits 1 listing every problem found, and on any warning VitePress or Vite prints. `--no-api`
 * skips TypeDoc (for writing guides while a package does not compile): the API reference is then
 * a placeholder page.
 *
 * @module
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { Application, Converter, ReflectionKind } from 'typedoc'
import type { PluginOptions } from 'typedoc-plugin-markdown'
import ts from 'typescript'
import { build } from 'vitepress'
import { collectEntryPoints, type EntryPoint } from './lib/entry-points.ts'
import { checkLinks } from './lib/link-check.ts'
import { SITE_BASE } from './lib/site.ts'

const DOCS = import.meta.dirname
const ROOT = resolve(DOCS, '..')
const PACKAGES = join(ROOT, 'packages')
const DIST = join(DOCS, 'dist')
const API_OUT = join(DOCS, 'api')
const REPO_URL = 'https://github.com/countersign/countersign'

const posix = (path: string): string => path.split(sep).join('/')

// --- 1. API reference ----------------------------------------------------------------------------

/** The module name TypeDoc derives for `file` relative to `base` (mirrors TypeDoc's getModuleName). */
function typedocModuleName(file: string, base: string): string {
  return posix(relative(base, file)).replace(/(\/index)?(\.d)?\.([cm][tj]s|[tj]sx?)$/, '')
}

/**
 * Names each entry module after its import specifier (`@countersign/store/sqlite`) instead of its
 * path (`store/src/sqlite`), as it is created, so `{@link @countersign/core!Key}` resolves.
 * Returns a check to run after conversion.
 */
function nameModulesBySpecifier(app: Application, entryPoints: EntryPoint[]): () => string[] {
  const byName = new Map(entryPoints.map((e) => [typedocModuleName(e.source, PACKAGES), e]))
  const renamed = new Set<string>()
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (_context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module) || reflection.parent?.isProject() !== true) {
      return
    }
    const entry = byName.get(reflection.name)
    if (entry) {
      reflection.name = entry.specifier
      renamed.add(entry.specifier)
    }
  })
  return () =>
    entryPoints
      .filter((e) => !renamed.has(e.specifier))
      .map(
        (e) =>
          `api: no TypeDoc module was created for ${e.specifier} (${posix(relative(ROOT, e.source))})`,
      )
}

/** typedoc-plugin-markdown: one Markdown page per module and symbol, read by VitePress. */
const MARKDOWN_OPTIONS: Partial<PluginOptions> = {
  entryFileName: 'index',
  hidePageTitle: false,
  hideBreadcrumbs: false,
  hidePageHeader: true,
  useCodeBlocks: true,
  parametersFormat: 'table',
  interfacePropertiesFormat: 'table',
  classPropertiesFormat: 'table',
  typeDeclarationFormat: 'table',
  enumMembersFormat: 'table',
  sanitizeComments: true,
}

async function buildApi(problems: string[]): Promise<EntryPoint[]> {
  const { entryPoints, problems: entryProblems } = await collectEntryPoints(PACKAGES)
  problems.push(...entryProblems.map((p) => `exports: ${p}`))
  if (entryPoints.length === 0) {
    problems.push('api: no entry points found')
    return entryPoints
  }
  // Resolve @countersign/* to source, so cross-package references link inside the docs instead
  // of pointing at dist/*.d.ts (which TypeDoc would report as not exported).
  const paths: Record<string, string[]> = {}
  for (const e of entryPoints) {
    for (const specifier of [e.specifier, ...e.aliases]) {
      paths[specifier] = [e.source]
    }
  }
  const tsconfigPath = join(DOCS, 'tsconfig.json')
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        problems.push(`tsconfig: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
      },
    },
  )
  if (!parsed) {
    return entryPoints
  }
  const app = await Application.bootstrapWithPlugins(
    {
      name: 'Countersign API',
      entryPoints: entryPoints.map((e) => e.source),
      entryPointStrategy: 'resolve',
      // Module names and source-link paths are relative to packages/.
      displayBasePath: PACKAGES,
      readme: 'none',
      plugin: ['typedoc-plugin-markdown'],
      ...MARKDOWN_OPTIONS,
      excludePrivate: true,
      excludeInternal: true,
      excludeExternals: true,
      sort: ['kind', 'static-first', 'required-first', 'alphabetical'],
      treatWarningsAsErrors: true,
      validation: {
        notExported: true,
        invalidLink: true,
        invalidPath: true,
        rewrittenLink: true,
        notDocumented: false,
        unusedMergeModuleWith: true,
      },
      disableGit: true,
      sourceLinkTemplate: `${REPO_URL}/blob/main/packages/{path}#L{line}`,
      hideGenerator: true,
      cleanOutputDir: true,
      outputs: [{ name: 'markdown', path: API_OUT }],
    },
    [],
  )
  // Compile exactly the entry points (TypeScript follows their imports) with docs/tsconfig.json's
  // compiler options plus the source paths.
  app.options.setCompilerOptions(
    entryPoints.map((e) => e.source),
    { ...parsed.options, paths },
    undefined,
  )
  // treatWarningsAsErrors: any warning fails the build. The site is still written after a
  // validation warning, so the rest of it can be checked and browsed.
  let reported = 0
  const check = (stage: string): void => {
    const count = app.logger.errorCount + app.logger.warningCount
    if (count > reported) {
      problems.push(
        `api: TypeDoc ${stage}: ${app.logger.errorCount} error(s), ${app.logger.warningCount} warning(s) so far (printed above; warnings count as errors)`,
      )
      reported = count
    }
  }
  const checkNames = nameModulesBySpecifier(app, entryPoints)
  const project = await app.convert()
  if (!project) {
    problems.push('api: TypeDoc could not convert the project (compile errors, printed above)')
    return entryPoints
  }
  check('conversion')
  problems.push(...checkNames())
  app.validate(project)
  check('validation')
  await app.generateOutputs(project)
  check('rendering')
  return entryPoints
}

// --- 2. Site -------------------------------------------------------------------------------------

/** A stand-in reference for `--no-api`, so the site's links into `api/` still resolve. */
function writeApiPlaceholder(): void {
  rmSync(API_OUT, { recursive: true, force: true })
  mkdirSync(API_OUT, { recursive: true })
  writeFileSync(
    join(API_OUT, 'index.md'),
    '# API reference\n\nNot built (`node docs/build.ts --no-api`).\n',
  )
}

/**
 * Runs VitePress; returns every warning or error it (or Vite, or Rollup) printed, so the build can
 * fail on them. VitePress itself throws on dead links.
 */
async function buildSite(problems: string[]): Promise<void> {
  const printed: string[] = []
  const original = { warn: console.warn, error: console.error }
  const capture =
    (write: (...args: unknown[]) => void) =>
    (...args: unknown[]): void => {
      printed.push(args.map(String).join(' '))
      write(...args)
    }
  console.warn = capture(original.warn)
  console.error = capture(original.error)
  try {
    await build(DOCS, { outDir: DIST, emptyOutDir: true })
  } catch (error) {
    problems.push(
      `site: VitePress failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`,
    )
  } finally {
    console.warn = original.warn
    console.error = original.error
  }
  for (const line of printed) {
    problems.push(`site: ${line.trim().split('\n')[0]}`)
  }
}

// --- main ----------------------------------------------------------------------------------------

const noApi = process.argv.includes('--no-api')
const problems: string[] = []
const notes: string[] = []
rmSync(DIST, { recursive: true, force: true })

if (noApi) {
  writeApiPlaceholder()
  notes.push('--no-api: the API reference was not built')
} else {
  const entryPoints = await buildApi(problems)
  for (const e of entryPoints) {
    const aliases = e.aliases.length ? ` (also ${e.aliases.join(', ')})` : ''
    process.stdout.write(`api: ${e.specifier}${aliases} <- ${posix(relative(ROOT, e.source))}\n`)
  }
}

await buildSite(problems)

if (existsSync(DIST)) {
  for (const b of checkLinks(DIST, { base: SITE_BASE })) {
    problems.push(`link: ${b.page}: "${b.href}": ${b.reason}`)
  }
}

for (const note of notes) {
  process.stdout.write(`note: ${note}\n`)
}
if (problems.length > 0) {
  process.stderr.write(`\ndocs build failed, ${problems.length} problem(s):\n`)
  for (const p of problems) {
    process.stderr.write(`  - ${p}\n`)
  }
  process.exitCode = 1
} else {
  process.stdout.write(`docs built into ${posix(relative(ROOT, DIST))}/ (links checked)\n`)
}
