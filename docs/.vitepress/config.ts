/**
 * The VitePress site: guides, spec, per-code error pages and the TypeDoc Markdown reference under
 * one theme, one sidebar and one local search. Built by `docs/build.ts` (`pnpm run docs`).
 *
 * @module
 */
import { resolve } from 'node:path'
import { defineConfig } from 'vitepress'
import { outsideLinks } from '../lib/outside-links.ts'
import { sidebar } from '../lib/sidebar.ts'
import { REPO_BRANCH, REPO_URL, SITE_BASE } from '../lib/site.ts'
import { slugify } from '../lib/slugify.ts'
import { writeErrorPages } from '../lib/write-error-pages.ts'

const DOCS = resolve(import.meta.dirname, '..')
const ROOT = resolve(DOCS, '..')

// errors/<code>.md, generated from guides/errors.md before VitePress looks for pages.
writeErrorPages(DOCS)

/**
 * Where "edit this page" points: generated pages are edited at their source. VitePress sends this
 * function to the browser as source text, so it must not use anything from this module.
 */
function editUrl({ filePath }: { filePath: string }): string {
  const repo = 'https://github.com/countersign/countersign'
  if (filePath.startsWith('api/')) {
    return `${repo}/tree/main/packages`
  }
  const source =
    filePath.startsWith('errors/') && filePath !== 'errors/index.md'
      ? 'guides/errors.md'
      : filePath === 'overview.md'
        ? 'README.md'
        : filePath
  return `${repo}/edit/main/docs/${source}`
}

export default defineConfig({
  title: 'Countersign',
  description:
    'Sign and verify API requests in TypeScript: RFC 9421 HTTP message signatures, tokens, API keys and an SSRF-safe relay.',
  base: SITE_BASE,
  lang: 'en',
  cleanUrls: true,
  outDir: 'dist',
  srcExclude: ['**/node_modules/**', 'dist/**'],
  // docs/README.md is what GitHub shows for the folder; on the site it is the overview page.
  rewrites: { 'README.md': 'overview.md' },
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: `${SITE_BASE}favicon.svg` }]],
  vite: { logLevel: 'warn', build: { chunkSizeWarningLimit: 2000 } },
  markdown: {
    anchor: { slugify },
    config(md) {
      outsideLinks(md, {
        docs: DOCS,
        root: ROOT,
        repoUrl: REPO_URL,
        branch: REPO_BRANCH,
        onMissing: (message) => console.warn(`outside link: ${message}`),
      })
    },
  },
  themeConfig: {
    logo: '/favicon.svg',
    nav: [
      { text: 'Guides', link: '/guides/getting-started', activeMatch: '^/guides/' },
      { text: 'Spec', link: '/spec/request-profile', activeMatch: '^/spec/' },
      { text: 'Errors', link: '/errors/', activeMatch: '^/errors/' },
      { text: 'API', link: '/api/', activeMatch: '^/api/' },
    ],
    sidebar: sidebar(DOCS),
    outline: { level: [2, 3], label: 'On this page' },
    search: {
      provider: 'local',
      options: {
        miniSearch: {
          // A code's own page (`/errors/replayed`) before the sections that mention it. Sent to
          // the browser as source text: self-contained.
          searchOptions: {
            boostDocument: (id: string) => (id.includes('/errors/') ? 3 : 1),
          },
        },
      },
    },
    editLink: {
      pattern: editUrl,
      text: 'Edit this page on GitHub',
    },
    socialLinks: [{ icon: 'github', link: REPO_URL }],
    footer: { message: 'Released under the MIT License.' },
  },
})
