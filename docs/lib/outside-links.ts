/**
 * A markdown-it plugin for VitePress: a relative link that leaves `docs/` (`../README.md`,
 * `../packages/core`) becomes a link to that file on GitHub, so the same Markdown works in a clone
 * and on the site. Links inside `docs/` are left to VitePress, which fails the build on dead ones.
 *
 * @module
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import type { MarkdownRenderer } from 'vitepress'

interface Options {
  /** The docs source directory (VitePress `srcDir`). */
  docs: string
  /** The repository root. */
  root: string
  /** e.g. `https://github.com/owner/repo`. */
  repoUrl: string
  branch: string
  /** Called with a message for a link to a file that does not exist. */
  onMissing: (message: string) => void
}

const isExternal = (href: string): boolean =>
  /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//') || href.startsWith('#')

/**
 * Installs the rewrite on `md`.
 *
 * @example
 * ```ts
 * markdown: { config: (md) => outsideLinks(md, { docs, root, repoUrl, branch: 'main', onMissing: console.warn }) }
 * ```
 */
export function outsideLinks(md: MarkdownRenderer, options: Options): void {
  md.core.ruler.push('countersign_outside_links', (state) => {
    const relativePath = (state.env as { relativePath?: string }).relativePath
    if (!relativePath) {
      return
    }
    const fromDir = dirname(join(options.docs, relativePath))
    for (const block of state.tokens) {
      for (const token of block.children ?? []) {
        const href = token.type === 'link_open' ? token.attrGet('href') : null
        if (!href || isExternal(href) || href.startsWith('/')) {
          continue
        }
        const [pathPart = '', fragment] = href.split('#', 2)
        const target = resolve(fromDir, decodeURIComponent(pathPart))
        if (target === options.docs || target.startsWith(options.docs + sep)) {
          continue
        }
        if (!existsSync(target)) {
          options.onMissing(`${relativePath}: link "${href}": no such file in the repository`)
          continue
        }
        const kind = statSync(target).isDirectory() ? 'tree' : 'blob'
        const path = relative(options.root, target).split(sep).join('/')
        const hash = fragment === undefined ? '' : `#${fragment}`
        token.attrSet('href', `${options.repoUrl}/${kind}/${options.branch}/${path}${hash}`)
      }
    }
  })
}
