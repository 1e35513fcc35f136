/**
 * Builds the docs site into `docs/dist`:
 *
 * 1. API reference (`dist/api`): TypeDoc over the source file behind every `exports` key of every
 *    published package (see `lib/entry-points.ts`), warnings treated as errors.
 * 2. Pages: `docs/README.md` (→ `index.html`), `docs/guides/*.md`, `docs/spec/*.md` and
 *    `docs/decisions.md`, rendered by `lib/markdown.ts` with a shared sidebar.
 * 3. Link check: every relative link and `#anchor` in the generated site must resolve.
 *
 * Exits 1 listing every problem found. `--no-api` skips TypeDoc (for writing guides while a
 * package does not compile): `api/index.html` is then a placeholder, and deeper links into the
 * API are reported as broken.
 *
 * @module
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { Application, Converter, ReflectionKind } from 'typedoc'
import ts from 'typescript'
import { collectEntryPoints, type EntryPoint } from './lib/entry-points.ts'
import { checkLinks } from './lib/link-check.ts'
import { escapeHtml, renderMarkdown } from './lib/markdown.ts'

const DOCS = import.meta.dirname
const ROOT = resolve(DOCS, '..')
const PACKAGES = join(ROOT, 'packages')
const DIST = join(DOCS, 'dist')
const API_OUT = join(DIST, 'api')
const REPO_URL = 'https://github.com/countersign/countersign'
/** Replaced in TypeDoc's HTML by the relative path from each page to the site root. */
const SITE_ROOT_TOKEN = '__COUNTERSIGN_SITE_ROOT__'

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

/** Rewrites the site-root placeholder in TypeDoc's pages to a correct relative path. */
function fixSiteRootLinks(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      fixSiteRootLinks(path)
    } else if (entry.name.endsWith('.html')) {
      const html = readFileSync(path, 'utf8')
      if (html.includes(SITE_ROOT_TOKEN)) {
        const up = posix(relative(dirname(path), DIST)) || '.'
        writeFileSync(path, html.replaceAll(SITE_ROOT_TOKEN, up))
      }
    }
  }
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
      plugin: [],
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
      navigationLinks: { 'Docs home': `${SITE_ROOT_TOKEN}/index.html` },
      hideGenerator: true,
      githubPages: false,
      cleanOutputDir: true,
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
  await app.generateDocs(project, API_OUT)
  check('rendering')
  fixSiteRootLinks(API_OUT)
  return entryPoints
}

// --- 2. Pages ------------------------------------------------------------------------------------

interface Page {
  /** Absolute path of the Markdown source. */
  source: string
  /** Output path relative to DIST, e.g. `guides/relay.html`. */
  out: string
  section: 'home' | 'guides' | 'spec' | 'decisions'
  title: string
}

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) {
    return []
  }
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(dir, f))
}

function outPathFor(source: string): string {
  const rel = posix(relative(DOCS, source))
  return rel.replace(/(^|\/)README\.md$/i, '$1index.html').replace(/\.md$/, '.html')
}

function firstHeading(source: string): string {
  const m = /^#\s+(.+?)\s*#*\s*$/m.exec(readFileSync(source, 'utf8'))
  return m ? m[1]!.replace(/`/g, '') : basename(source, '.md')
}

function collectPages(): Page[] {
  const pages: Page[] = []
  const add = (source: string, section: Page['section']): void => {
    pages.push({ source, out: outPathFor(source), section, title: firstHeading(source) })
  }
  const readme = join(DOCS, 'README.md')
  if (existsSync(readme)) {
    add(readme, 'home')
  }
  for (const f of markdownFiles(join(DOCS, 'guides'))) {
    add(f, 'guides')
  }
  for (const f of markdownFiles(join(DOCS, 'spec'))) {
    add(f, 'spec')
  }
  const decisions = join(DOCS, 'decisions.md')
  if (existsSync(decisions)) {
    add(decisions, 'decisions')
  }
  return pages
}

/** Orders guides and spec pages by where docs/README.md first links to them. */
function orderByReadme(pages: Page[]): { order: Map<string, number>; unlinked: Page[] } {
  const readme = pages.find((p) => p.section === 'home')
  const order = new Map<string, number>()
  if (readme) {
    const text = readFileSync(readme.source, 'utf8')
    for (const m of text.matchAll(/\]\(([^)#\s]+\.md)(?:#[^)\s]*)?\)/g)) {
      const target = resolve(dirname(readme.source), m[1]!)
      if (!order.has(target)) {
        order.set(target, order.size)
      }
    }
  }
  const unlinked = pages.filter((p) => p.section !== 'home' && !order.has(p.source))
  return { order, unlinked }
}

function isExternal(href: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')
}

/** Maps a Markdown link on `page` to its href in the built site; records links that cannot work. */
function linkRewriter(page: Page, pages: Page[], problems: string[], assets: Set<string>) {
  const fromDir = dirname(join(DIST, page.out))
  const where = posix(relative(ROOT, page.source))
  return (href: string): string => {
    if (href === '' || href.startsWith('#') || isExternal(href)) {
      return href
    }
    const hashAt = href.indexOf('#')
    const pathPart = hashAt === -1 ? href : href.slice(0, hashAt)
    const fragment = hashAt === -1 ? '' : href.slice(hashAt)
    if (pathPart.startsWith('/')) {
      problems.push(`${where}: root-relative link "${href}" (use a relative path)`)
      return href
    }
    const target = resolve(dirname(page.source), decodeURIComponent(pathPart))
    if (target === DOCS || target.startsWith(DOCS + sep)) {
      if (target.endsWith('.md')) {
        const linked = pages.find((p) => p.source === target)
        if (!linked) {
          problems.push(
            `${where}: link "${href}": ${posix(relative(ROOT, target))} is not a docs page`,
          )
          return href
        }
        return `${posix(relative(fromDir, join(DIST, linked.out)))}${fragment}`
      }
      if (existsSync(target) && statSync(target).isFile() && !target.startsWith(DIST + sep)) {
        assets.add(target) // an image or download next to the docs: copied as is
      }
      return href // e.g. api/index.html, generated into the same place under dist/
    }
    // Outside docs/: link to the file on GitHub, if it exists in the repo.
    if (!existsSync(target)) {
      problems.push(`${where}: link "${href}": ${posix(relative(ROOT, target))} does not exist`)
      return href
    }
    const kind = statSync(target).isDirectory() ? 'tree' : 'blob'
    return `${REPO_URL}/${kind}/main/${posix(relative(ROOT, target))}${fragment}`
  }
}

const CSS = `:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--code:#f6f8fa;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--code:#151b23;--link:#4493f8}}
*{box-sizing:border-box}body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);display:flex;min-height:100vh}
nav.site{width:16rem;flex:none;padding:1.5rem 1rem;border-right:1px solid var(--line);font-size:.92rem}
nav.site h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:1.2rem 0 .3rem}
nav.site ul{list-style:none;margin:0;padding:0}nav.site li{margin:.15rem 0}nav.site a[aria-current]{font-weight:600}
nav.site .brand{font-weight:700;font-size:1.1rem}
main{flex:1;min-width:0;max-width:52rem;padding:1.5rem 2.5rem 4rem}
a{color:var(--link)}h1,h2,h3,h4{line-height:1.25;margin:1.6em 0 .6em}h1{margin-top:.4em}
h1 .anchor,h2 .anchor,h3 .anchor,h4 .anchor,h5 .anchor,h6 .anchor{float:left;margin-left:-1.1em;width:1.1em;opacity:0;text-decoration:none}
h1:hover .anchor,h2:hover .anchor,h3:hover .anchor,h4:hover .anchor,h5:hover .anchor,h6:hover .anchor{opacity:.6}
code{font:.88em/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--code);padding:.1em .3em;border-radius:4px}
pre{background:var(--code);padding:1rem;overflow:auto;border-radius:6px}pre code{padding:0;background:none}
table{border-collapse:collapse;display:block;overflow:auto;margin:1rem 0}th,td{border:1px solid var(--line);padding:.35rem .7rem;vertical-align:top}
blockquote{margin:1rem 0;padding:0 1rem;color:var(--muted);border-left:.25rem solid var(--line)}
@media (max-width:48rem){body{display:block}nav.site{width:auto;border-right:0;border-bottom:1px solid var(--line)}main{padding:1rem}}
`

function sidebar(page: Page, pages: Page[], order: Map<string, number>): string {
  const fromDir = dirname(join(DIST, page.out))
  const href = (out: string): string => posix(relative(fromDir, join(DIST, out)))
  const link = (p: Page): string =>
    `<li><a href="${escapeHtml(href(p.out))}"${p === page ? ' aria-current="page"' : ''}>${escapeHtml(p.title)}</a></li>`
  const rank = (p: Page): number => order.get(p.source) ?? Number.MAX_SAFE_INTEGER
  const section = (name: Page['section']): string =>
    pages
      .filter((p) => p.section === name)
      .sort((a, b) => rank(a) - rank(b) || a.out.localeCompare(b.out))
      .map(link)
      .join('')
  const home = pages.find((p) => p.section === 'home')
  const decisions = pages.find((p) => p.section === 'decisions')
  return [
    '<nav class="site">',
    home
      ? `<a class="brand" href="${escapeHtml(href(home.out))}">Countersign</a>`
      : '<span class="brand">Countersign</span>',
    `<h2>Guides</h2><ul>${section('guides')}</ul>`,
    `<h2>Specification</h2><ul>${section('spec')}</ul>`,
    `<h2>Reference</h2><ul><li><a href="${escapeHtml(href('api/index.html'))}">API reference</a></li>`,
    decisions ? link(decisions) : '',
    '</ul></nav>',
  ].join('\n')
}

function buildPages(problems: string[], notes: string[]): void {
  const pages = collectPages()
  const { order, unlinked } = orderByReadme(pages)
  for (const p of unlinked) {
    notes.push(
      `${posix(relative(ROOT, p.source))} is not linked from docs/README.md (it is still in the sidebar)`,
    )
  }
  const assets = new Set<string>()
  mkdirSync(join(DIST, 'assets'), { recursive: true })
  writeFileSync(join(DIST, 'assets', 'site.css'), CSS)
  for (const page of pages) {
    const rendered = renderMarkdown(
      readFileSync(page.source, 'utf8'),
      linkRewriter(page, pages, problems, assets),
    )
    const outFile = join(DIST, page.out)
    const css = posix(relative(dirname(outFile), join(DIST, 'assets', 'site.css')))
    const title = rendered.title ?? page.title
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Countersign</title>
<link rel="stylesheet" href="${escapeHtml(css)}">
</head>
<body>
${sidebar(page, pages, order)}
<main>
${rendered.html}
</main>
</body>
</html>
`
    mkdirSync(dirname(outFile), { recursive: true })
    writeFileSync(outFile, html)
  }
  for (const asset of assets) {
    const out = join(DIST, relative(DOCS, asset))
    mkdirSync(dirname(out), { recursive: true })
    copyFileSync(asset, out)
  }
}

// --- main ----------------------------------------------------------------------------------------

const noApi = process.argv.includes('--no-api')
const problems: string[] = []
const notes: string[] = []
rmSync(DIST, { recursive: true, force: true })
mkdirSync(DIST, { recursive: true })

if (noApi) {
  mkdirSync(API_OUT, { recursive: true })
  writeFileSync(
    join(API_OUT, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>API reference</title><p>Not built (--no-api).</p>\n',
  )
  notes.push('--no-api: the API reference was not built')
} else {
  const entryPoints = await buildApi(problems)
  for (const e of entryPoints) {
    const aliases = e.aliases.length ? ` (also ${e.aliases.join(', ')})` : ''
    process.stdout.write(`api: ${e.specifier}${aliases} <- ${posix(relative(ROOT, e.source))}\n`)
  }
}

buildPages(problems, notes)

const broken = checkLinks(DIST)
for (const b of broken) {
  problems.push(`link: ${b.page}: "${b.href}": ${b.reason}`)
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
