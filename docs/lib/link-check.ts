/**
 * Checks every internal link of a generated static site: each relative or root-relative
 * (under the site's base path) `href`/`src` must name a file that exists under the site root, and
 * each `#fragment` an element id (or `<a name>`) in the target page. A path without an extension
 * is a clean URL, served as `path.html` or `path/index.html` as static hosts do. External URLs
 * (`https:`, `mailto:` …) are not fetched.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, join, relative, resolve, sep } from 'node:path'

/** One broken link. */
export interface BrokenLink {
  /** The page holding the link, relative to the site root. */
  page: string
  href: string
  reason: string
}

function walk(dir: string, files: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      walk(path, files)
    } else {
      files.push(path)
    }
  }
  return files
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(Number.parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&')
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Markup with scripts, styles and comments removed, so only real attributes are scanned. */
function markupOnly(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<script\b[\s\S]*?<\/script>/gi, '')
    .replace(/<style\b[\s\S]*?<\/style>/gi, '')
}

const ATTRIBUTE = /\s(href|src|xlink:href)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi
const ID = /\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi

/** Whether `href` leaves the site (has a scheme or is protocol-relative). */
function isExternal(href: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')
}

/** Options of {@link checkLinks}. */
export interface CheckLinksOptions {
  /**
   * The path the site is served under, with a trailing slash (VitePress's `base`). Root-relative
   * links must start with it. Without it, every root-relative link is reported.
   */
  base?: string
}

/** The file a static host serves for `target`: itself, `target.html` or `target/index.html`. */
function servedFile(target: string): string {
  if (existsSync(target) && statSync(target).isDirectory()) {
    return join(target, 'index.html')
  }
  if (!existsSync(target) && extname(target) === '' && existsSync(`${target}.html`)) {
    return `${target}.html`
  }
  return target
}

/**
 * Checks every `.html` page under `root`; returns the broken links, sorted by page.
 *
 * @example
 * ```ts
 * for (const b of checkLinks('docs/dist', { base: '/' })) console.log(b.page, b.href, b.reason)
 * ```
 */
export function checkLinks(root: string, options: CheckLinksOptions = {}): BrokenLink[] {
  const siteRoot = resolve(root)
  const files = walk(siteRoot)
  const idCache = new Map<string, Set<string>>()
  const idsOf = (file: string): Set<string> => {
    let ids = idCache.get(file)
    if (!ids) {
      ids = new Set()
      const text = markupOnly(readFileSync(file, 'utf8'))
      for (const m of text.matchAll(ID)) {
        ids.add(decodeEntities(m[1] ?? m[2] ?? ''))
      }
      idCache.set(file, ids)
    }
    return ids
  }
  const broken: BrokenLink[] = []
  for (const file of files.filter((f) => extname(f) === '.html').sort()) {
    const page = relative(siteRoot, file).split(sep).join('/')
    const html = markupOnly(readFileSync(file, 'utf8'))
    const seen = new Set<string>()
    for (const m of html.matchAll(ATTRIBUTE)) {
      const raw = decodeEntities(m[2] ?? m[3] ?? '').trim()
      if (raw === '' || raw === '#' || isExternal(raw) || seen.has(raw)) {
        continue
      }
      seen.add(raw)
      const hashAt = raw.indexOf('#')
      const pathPart = (hashAt === -1 ? raw : raw.slice(0, hashAt)).replace(/\?.*$/, '')
      const fragment = hashAt === -1 ? '' : safeDecode(raw.slice(hashAt + 1))
      let target = file
      if (pathPart !== '') {
        const { base } = options
        if (pathPart.startsWith('/')) {
          if (base === undefined || !pathPart.startsWith(base)) {
            broken.push({
              page,
              href: raw,
              reason:
                base === undefined
                  ? 'root-relative link (breaks when hosted under a path)'
                  : `root-relative link outside the base ${base}`,
            })
            continue
          }
          target = resolve(siteRoot, `./${safeDecode(pathPart.slice(base.length))}`)
        } else {
          target = resolve(dirname(file), safeDecode(pathPart))
        }
        if (target !== siteRoot && !target.startsWith(siteRoot + sep)) {
          broken.push({ page, href: raw, reason: 'points outside the site' })
          continue
        }
        target = servedFile(target)
        if (!existsSync(target)) {
          broken.push({
            page,
            href: raw,
            reason: `no file ${relative(siteRoot, target).split(sep).join('/')}`,
          })
          continue
        }
      }
      if (fragment !== '' && /\.(html|svg)$/.test(target) && !idsOf(target).has(fragment)) {
        broken.push({
          page,
          href: raw,
          reason: `no id "${fragment}" in ${relative(siteRoot, target).split(sep).join('/')}`,
        })
      }
    }
  }
  return broken
}
