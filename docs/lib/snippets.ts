/**
 * Pulls the fenced code blocks out of a Markdown page, so the docs tests can type-check every
 * TypeScript snippet against the packages' real types.
 *
 * @module
 */

/** One fenced code block. */
export interface Snippet {
  /** The info string's language, lower-cased (`ts`, `sh` …); `''` when none. */
  lang: string
  /** The rest of the info string, e.g. `[Node]` for a VitePress code-group tab. */
  meta: string
  /** 1-based line of the opening fence. */
  line: number
  code: string
}

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/

/**
 * Every fenced block of `markdown`, in order (nested fences inside a longer fence stay content).
 *
 * @example
 * ```ts
 * extractSnippets('```ts\nconst a = 1\n```\n') // [{ lang: 'ts', meta: '', line: 1, code: 'const a = 1' }]
 * ```
 */
export function extractSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = []
  const lines = markdown.split('\n')
  let open: { fence: string; indent: number; snippet: Snippet; body: string[] } | undefined
  lines.forEach((text, index) => {
    const m = FENCE.exec(text)
    if (open) {
      const closes =
        m && m[2]![0] === open.fence[0] && m[2]!.length >= open.fence.length && m[3] === ''
      if (closes && m[4] === '') {
        snippets.push({ ...open.snippet, code: open.body.join('\n') })
        open = undefined
      } else {
        open.body.push(text.slice(Math.min(open.indent, text.search(/\S|$/))))
      }
    } else if (m) {
      open = {
        fence: m[2]!,
        indent: m[1]!.length,
        snippet: { lang: m[3]!.toLowerCase(), meta: m[4]!.trim(), line: index + 1, code: '' },
        body: [],
      }
    }
  })
  return snippets
}
