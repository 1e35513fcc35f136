/**
 * Writes `errors/<code>.md` for every code in `guides/errors.md` (see `error-pages.ts`).
 *
 * @module
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ErrorPage, errorPages } from './error-pages.ts'

/** The Markdown of one code's page. */
function pageMarkdown(page: ErrorPage): string {
  return [
    '<!-- Generated from guides/errors.md by lib/write-error-pages.ts: edit the guide. -->',
    '',
    `# \`${page.code}\``,
    '',
    `<p class="error-meta"><span><strong>HTTP status</strong> ${page.status}</span>` +
      `<span><strong>Class</strong> <code>${page.family}</code></span></p>`,
    '',
    '## What it means',
    '',
    page.meaning,
    '',
    '## What to do',
    '',
    page.advice,
    '',
    `## ${page.family}`,
    '',
    page.familyIntro,
    '',
    '## Matching on it',
    '',
    '```ts',
    "import { isCountersignError } from '@countersign/core'",
    '',
    `if (isCountersignError(error, '${page.code}')) {`,
    '  // ...',
    '}',
    '```',
    '',
    `An HTTP service answers it as \`application/problem+json\` with \`"code": "${page.code}"\`,` +
      ` status ${page.status}, and a \`type\` URI that points at this page.` +
      ' See [Errors](../guides/errors.md) for every code and how to match on them.',
    '',
  ].join('\n')
}

/**
 * Replaces every generated page in `docs/errors/` (all but `index.md`) with one per code.
 *
 * @example
 * ```ts
 * writeErrorPages('docs') // docs/errors/replayed.md, docs/errors/signature_expired.md, …
 * ```
 *
 * @throws {Error} if `guides/errors.md` is malformed (see `errorPages`).
 */
export function writeErrorPages(docs: string): ErrorPage[] {
  const pages = errorPages(readFileSync(join(docs, 'guides', 'errors.md'), 'utf8'))
  const dir = join(docs, 'errors')
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.md') && file !== 'index.md') {
      rmSync(join(dir, file))
    }
  }
  for (const page of pages) {
    writeFileSync(join(dir, `${page.code}.md`), pageMarkdown(page))
  }
  return pages
}
