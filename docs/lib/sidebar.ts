/**
 * The site's navigation, derived from the files: guides and spec pages in the order
 * `docs/README.md` first links to them (pages it does not link come last), the per-code error
 * pages grouped by family, and one entry per API module TypeDoc wrote.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { DefaultTheme } from 'vitepress'
import { errorPages } from './error-pages.ts'

type Item = DefaultTheme.SidebarItem

const MIGRATION = /^migrate-from-/

function firstHeading(file: string): string {
  const m = /^#\s+(.+?)\s*#*\s*$/m.exec(readFileSync(file, 'utf8'))
  return m ? m[1]!.replace(/`/g, '') : file
}

/** The `.md` files of `dir`, in the order `readme` first links to them. */
function ordered(docs: string, dir: string): string[] {
  const files = readdirSync(join(docs, dir))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(docs, dir, f))
  const readme = join(docs, 'README.md')
  const rank = new Map<string, number>()
  if (existsSync(readme)) {
    for (const m of readFileSync(readme, 'utf8').matchAll(/\]\(([^)#\s]+\.md)(?:#[^)\s]*)?\)/g)) {
      const target = resolve(dirname(readme), m[1]!)
      if (!rank.has(target)) {
        rank.set(target, rank.size)
      }
    }
  }
  const of = (f: string): number => rank.get(f) ?? Number.MAX_SAFE_INTEGER
  return files.sort((a, b) => of(a) - of(b) || a.localeCompare(b))
}

/** `migrate-from-kudo.md` → `Kudo`; skapi writes its name in lower case. */
function systemName(file: string): string {
  const name = file.split('/').at(-1)!.replace(MIGRATION, '').replace(/\.md$/, '')
  return name === 'skapi' ? name : name.charAt(0).toUpperCase() + name.slice(1)
}

const link = (docs: string, file: string): Item => ({
  text: firstHeading(file),
  link: `/${file.slice(docs.length + 1).replace(/\.md$/, '')}`,
})

/** TypeDoc's per-kind folders inside a module; every other folder with an `index.md` is a module. */
const KIND_DIRS = new Set([
  'classes',
  'enumerations',
  'functions',
  'interfaces',
  'namespaces',
  'type-aliases',
  'variables',
])

/** The API modules: each folder TypeDoc wrote an `index.md` into (`api/@countersign/store/redis`). */
function apiModules(docs: string): Item[] {
  const items: Item[] = []
  const visit = (dir: string, name: string): void => {
    if (name !== '' && existsSync(join(dir, 'index.md'))) {
      items.push({ text: name, link: `/api/${name}/` })
    }
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !KIND_DIRS.has(entry.name)) {
        visit(join(dir, entry.name), name === '' ? entry.name : `${name}/${entry.name}`)
      }
    }
  }
  const api = join(docs, 'api')
  if (existsSync(api)) {
    visit(api, '')
  }
  return items.sort((a, b) => a.text!.localeCompare(b.text!))
}

/**
 * Builds the multi-sidebar for `.vitepress/config.ts`.
 *
 * @example
 * ```ts
 * themeConfig: { sidebar: sidebar(import.meta.dirname + '/..') }
 * ```
 */
export function sidebar(docs: string): DefaultTheme.SidebarMulti {
  const guides = ordered(docs, 'guides')
  const main: Item[] = [
    {
      text: 'Guides',
      items: guides.filter((f) => !MIGRATION.test(f.split('/').at(-1)!)).map((f) => link(docs, f)),
    },
    {
      text: 'Coming from',
      items: guides
        .filter((f) => MIGRATION.test(f.split('/').at(-1)!))
        .map((f) => ({ ...link(docs, f), text: systemName(f) })),
    },
    { text: 'Specification', items: ordered(docs, 'spec').map((f) => link(docs, f)) },
    {
      text: 'Reference',
      items: [
        { text: 'API reference', link: '/api/' },
        { text: 'Error codes', link: '/errors/' },
        { text: 'Decisions', link: '/decisions' },
        { text: 'All documentation', link: '/overview' },
      ],
    },
  ]
  const families = new Map<string, Item[]>()
  for (const page of errorPages(readFileSync(join(docs, 'guides', 'errors.md'), 'utf8'))) {
    const items = families.get(page.family) ?? []
    items.push({ text: page.code, link: `/errors/${page.code}` })
    families.set(page.family, items)
  }
  const errors: Item[] = [
    {
      text: 'Error codes',
      items: [
        { text: 'All codes', link: '/errors/' },
        { text: 'Errors guide', link: '/guides/errors' },
      ],
    },
    ...[...families].map(([family, items]) => ({ text: family, collapsed: false, items })),
  ]
  const api: Item[] = [
    { text: 'API reference', items: [{ text: 'Overview', link: '/api/' }, ...apiModules(docs)] },
    {
      text: 'Guides',
      items: [
        { text: 'Getting started', link: '/guides/getting-started' },
        { text: 'Error codes', link: '/errors/' },
      ],
    },
  ]
  return { '/api/': api, '/errors/': errors, '/': main }
}
