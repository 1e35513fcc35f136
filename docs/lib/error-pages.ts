/**
 * Splits `guides/errors.md` into one page per error code, so each problem `type` URI
 * (`/errors/<code>`) has a page of its own. The guide stays the single source: the per-code pages
 * are generated from it (`writeErrorPages`, run by the VitePress config) and not committed. Real
 * files rather than a VitePress dynamic route, because local search indexes only real files.
 *
 * @module
 */

/** One error code's page. */
export interface ErrorPage {
  /** The stable code, e.g. `replayed`; also the page's path under `errors/`. */
  code: string
  /** The HTTP status a server answers with. */
  status: number
  /** The `CountersignError` subclass, e.g. `SignatureError`. */
  family: string
  /** What the family means, from the guide's section introduction (Markdown). */
  familyIntro: string
  /** What the code means (Markdown). */
  meaning: string
  /** What to do about it (Markdown), from the text after `**Do:**`. */
  advice: string
}

const SECTION = /^## .*\(`(\w+)`\)\s*$/
const CODE = /^### `([a-z_]+)`\s*$/
const STATUS = /^(\d{3})\.\s+/

/** Joins a section's lines into Markdown: list-item continuation indents removed. */
function dedent(lines: string[]): string {
  return lines
    .map((l) => l.trim())
    .join('\n')
    .trim()
}

/**
 * Reads every `### \`code\`` section of the errors guide, with its status, family and advice.
 *
 * @example
 * ```ts
 * const pages = errorPages(readFileSync('docs/guides/errors.md', 'utf8'))
 * pages.find((p) => p.code === 'replayed')?.status // 401
 * ```
 *
 * @throws {Error} if a code section has no `NNN. ` status line or sits outside a family section,
 *   so a malformed guide fails the docs build instead of producing an empty page.
 */
export function errorPages(markdown: string): ErrorPage[] {
  const pages: ErrorPage[] = []
  let family: { name: string; intro: string[] } | undefined
  let current: { code: string; lines: string[]; family: typeof family } | undefined
  const finish = (): void => {
    if (!current) {
      return
    }
    const text = dedent(current.lines)
    const status = STATUS.exec(text)
    if (!status || !current.family) {
      throw new Error(`errors.md: section ${current.code} needs a family and a "NNN. " status`)
    }
    const [meaning, advice = ''] = text.slice(status[0].length).split('**Do:**')
    pages.push({
      code: current.code,
      status: Number(status[1]),
      family: current.family.name,
      familyIntro: dedent(current.family.intro),
      meaning: meaning!.trim(),
      advice: advice.trim().replace(/^\p{Ll}/u, (c) => c.toUpperCase()),
    })
    current = undefined
  }
  for (const line of markdown.split('\n')) {
    const section = SECTION.exec(line)
    const code = CODE.exec(line)
    if (section || code || line.startsWith('## ')) {
      finish()
      family = section ? { name: section[1]!, intro: [] } : code ? family : undefined
      if (code) {
        current = { code: code[1]!, lines: [], family }
      }
    } else if (current) {
      current.lines.push(line)
    } else if (family) {
      family.intro.push(line)
    }
  }
  finish()
  return pages
}
