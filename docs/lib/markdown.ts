/**
 * A small Markdown renderer for the hand-written docs: ATX and setext headings (with GitHub-style
 * ids), paragraphs, nested lists (with task boxes), fenced and indented code, GFM tables,
 * blockquotes, rules, simple HTML blocks, and inline code, links (inline, reference, autolinks),
 * images, emphasis, strikethrough and hard breaks. Not a CommonMark implementation: it covers
 * what the docs use and escapes everything else.
 *
 * @module
 */

/** Decides where a link points. Returns the href to emit. */
export type LinkRewriter = (href: string) => string

/** A rendered document. */
export interface Rendered {
  html: string
  /** The text of the first level-1 heading, if any. */
  title: string | undefined
  /** Every heading id, in order. */
  ids: string[]
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

/** GitHub's heading slug: lowercase, punctuation dropped, spaces to hyphens. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** Unique ids within one document, numbered the way GitHub does (`x`, `x-1`, `x-2`). */
class Slugger {
  private readonly occurrences = new Map<string, number>()
  slug(text: string): string {
    const original = slugify(text)
    let slug = original
    while (this.occurrences.has(slug)) {
      const n = (this.occurrences.get(original) ?? 0) + 1
      this.occurrences.set(original, n)
      slug = `${original}-${n}`
    }
    this.occurrences.set(slug, 0)
    return slug
  }
}

interface Context {
  rewrite: LinkRewriter
  refs: Map<string, { href: string; title: string | undefined }>
  slugger: Slugger
  ids: string[]
  title: string | undefined
}

// --- Inline ------------------------------------------------------------------------------------

const HOLE = '\u0000'

function stripTags(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}

const INLINE_HTML = /^<\/?(br|kbd|sup|sub|abbr|mark|small)\b[^>]*>/i

function linkHtml(ctx: Context, text: string, href: string, title: string | undefined): string {
  const t = title ? ` title="${escapeHtml(title)}"` : ''
  return `<a href="${escapeHtml(ctx.rewrite(href))}"${t}>${text}</a>`
}

function imageHtml(ctx: Context, alt: string, src: string, title: string | undefined): string {
  const t = title ? ` title="${escapeHtml(title)}"` : ''
  return `<img src="${escapeHtml(ctx.rewrite(src))}" alt="${escapeHtml(stripTags(alt))}"${t}>`
}

/** Finds the `]` that closes the `[` at `open`, skipping nested brackets and code spans. */
function closingBracket(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (c === '\\') {
      i++
    } else if (c === '`') {
      const run = /^`+/.exec(text.slice(i))![0]
      const end = text.indexOf(run, i + run.length)
      if (end !== -1) {
        i = end + run.length - 1
      }
    } else if (c === '[') {
      depth++
    } else if (c === ']') {
      depth--
      if (depth === 0) {
        return i
      }
    }
  }
  return -1
}

/** Parses `(href "title")` at `start`; returns the parts and the index after `)`. */
function linkDestination(
  text: string,
  start: number,
): { href: string; title: string | undefined; end: number } | undefined {
  const m =
    /^\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+("[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/.exec(
      text.slice(start),
    )
  if (!m) {
    return undefined
  }
  let href = m[1]!
  if (href.startsWith('<')) {
    href = href.slice(1, -1)
  }
  return { href, title: m[2]?.slice(1, -1), end: start + m[0].length }
}

/** Renders inline Markdown to HTML. Inside a link's text, `inLink` turns off nested links. */
function inline(ctx: Context, text: string, inLink = false): string {
  const holes: string[] = []
  const hold = (html: string): string => {
    holes.push(html)
    return `${HOLE}${holes.length - 1}${HOLE}`
  }
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    const rest = text.slice(i)
    if (c === '\\' && i + 1 < text.length && /[!-/:-@[-`{-~]/.test(text[i + 1]!)) {
      out += hold(escapeHtml(text[i + 1]!))
      i += 2
      continue
    }
    if (c === '\\' && text[i + 1] === '\n') {
      out += hold('<br>\n')
      i += 2
      continue
    }
    if (c === '`') {
      const run = /^`+/.exec(rest)![0]
      const end = text.indexOf(run, i + run.length)
      if (end !== -1 && text[end + run.length] !== '`') {
        let code = text.slice(i + run.length, end).replace(/\n/g, ' ')
        if (/^ .*[^ ].* $/.test(code)) {
          code = code.slice(1, -1)
        }
        out += hold(`<code>${escapeHtml(code)}</code>`)
        i = end + run.length
        continue
      }
      out += run
      i += run.length
      continue
    }
    if (c === '&') {
      const entity = /^&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});/.exec(rest)
      if (entity) {
        out += hold(entity[0])
        i += entity[0].length
        continue
      }
    }
    if (c === '<' && !inLink) {
      const auto = /^<((?:https?|mailto):[^\s<>]+)>/.exec(rest)
      if (auto) {
        out += hold(linkHtml(ctx, escapeHtml(auto[1]!), auto[1]!, undefined))
        i += auto[0].length
        continue
      }
    }
    if (c === '<') {
      const tag = INLINE_HTML.exec(rest)
      if (tag) {
        out += hold(tag[0])
        i += tag[0].length
        continue
      }
      const comment = /^<!--[\s\S]*?-->/.exec(rest)
      if (comment) {
        i += comment[0].length
        continue
      }
    }
    if ((c === '[' && !inLink) || (c === '!' && text[i + 1] === '[')) {
      const open = c === '!' ? i + 1 : i
      const close = closingBracket(text, open)
      if (close !== -1) {
        const label = text.slice(open + 1, close)
        const dest = text[close + 1] === '(' ? linkDestination(text, close + 1) : undefined
        let target: { href: string; title: string | undefined } | undefined = dest
        let end = dest?.end ?? close + 1
        if (!dest) {
          const ref = /^\[([^\]]*)\]/.exec(text.slice(close + 1))
          const key = (ref && ref[1] !== '' ? ref[1]! : label)
            .trim()
            .toLowerCase()
            .replace(/\s+/g, ' ')
          target = ctx.refs.get(key)
          if (target && ref) {
            end = close + 1 + ref[0].length
          }
        }
        if (target) {
          out += hold(
            c === '!'
              ? imageHtml(ctx, inline(ctx, label, true), target.href, target.title)
              : linkHtml(ctx, inline(ctx, label, true), target.href, target.title),
          )
          i = end
          continue
        }
      }
    }
    if (!inLink && (c === 'h' || c === 'w') && (i === 0 || /[\s(*_~]/.test(text[i - 1]!))) {
      const bare = /^(?:https?:\/\/|www\.)[^\s<]*[^\s<.,:;"')\]*_~?!]/.exec(rest)
      if (bare) {
        const href = bare[0].startsWith('www.') ? `https://${bare[0]}` : bare[0]
        out += hold(linkHtml(ctx, escapeHtml(bare[0]), href, undefined))
        i += bare[0].length
        continue
      }
    }
    out += c
    i++
  }
  let html = escapeHtml(out)
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\p{L}\p{N}_])__(?=\S)([\s\S]*?\S)__(?![\p{L}\p{N}_])/gu, '$1<strong>$2</strong>')
    .replace(/\*(?=[^\s*])([\s\S]*?[^\s*])\*/g, '<em>$1</em>')
    .replace(/(^|[^\p{L}\p{N}_])_(?=[^\s_])([\s\S]*?[^\s_])_(?![\p{L}\p{N}_])/gu, '$1<em>$2</em>')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>')
    .replace(/ {2,}\n/g, '<br>\n')
  const holePattern = new RegExp(`${HOLE}(\\d+)${HOLE}`, 'g')
  while (html.includes(HOLE)) {
    html = html.replace(holePattern, (_, n: string) => holes[Number(n)]!)
  }
  return html
}

// --- Blocks ------------------------------------------------------------------------------------

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])( +|$)(.*)$/
const BLOCKQUOTE = /^ {0,3}> ?/
const TABLE_DELIMITER = /^ {0,3}\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$/
const HTML_BLOCK =
  /^ {0,3}<\/?(?:details|summary|div|p|table|thead|tbody|tr|td|th|img|picture|source|hr|br|dl|dt|dd|figure|figcaption)\b|^ {0,3}<!--/i
const REF_DEF = /^ {0,3}\[([^\]]+)\]:\s*(<[^>]*>|\S+)(?:\s+("[^"]*"|'[^']*'|\([^)]*\)))?\s*$/

function isBlank(line: string): boolean {
  return /^\s*$/.test(line)
}

/** Whether `line` starts a block that interrupts a paragraph. */
function interrupts(line: string): boolean {
  if (FENCE.test(line) || ATX.test(line) || HR.test(line) || BLOCKQUOTE.test(line)) {
    return true
  }
  if (HTML_BLOCK.test(line)) {
    return true
  }
  const item = LIST_ITEM.exec(line)
  // An ordered list interrupts a paragraph only when it starts at 1 (CommonMark).
  return item !== null && item[4] !== '' && (!/^\d/.test(item[2]!) || /^1[.)]$/.test(item[2]!))
}

function splitRow(line: string): string[] {
  let row = line.trim()
  if (row.startsWith('|')) {
    row = row.slice(1)
  }
  if (row.endsWith('|') && !row.endsWith('\\|')) {
    row = row.slice(0, -1)
  }
  const cells: string[] = []
  let cell = ''
  let inCode = false
  for (let i = 0; i < row.length; i++) {
    const c = row[i]!
    if (c === '\\' && row[i + 1] === '|') {
      cell += '|'
      i++
    } else if (c === '`') {
      inCode = !inCode
      cell += c
    } else if (c === '|' && !inCode) {
      cells.push(cell.trim())
      cell = ''
    } else {
      cell += c
    }
  }
  cells.push(cell.trim())
  return cells
}

/** Removes up to `n` columns of leading indentation (tabs count as 4). */
function dedent(line: string, n: number): string {
  let i = 0
  let col = 0
  while (i < line.length && col < n) {
    if (line[i] === ' ') {
      col++
    } else if (line[i] === '\t') {
      col += 4
    } else {
      break
    }
    i++
  }
  return line.slice(i)
}

function indentOf(line: string): number {
  const m = /^[ \t]*/.exec(line)![0]
  return m.replace(/\t/g, '    ').length
}

function blocks(ctx: Context, lines: string[], tight = false): string {
  const out: string[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i]!
    if (isBlank(line)) {
      i++
      continue
    }
    const fence = FENCE.exec(line)
    if (fence) {
      const marker = fence[1]!
      const indent = indentOf(line)
      const body: string[] = []
      i++
      while (i < lines.length) {
        const l = lines[i]!
        const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(l)
        if (close && close[1]![0] === marker[0] && close[1]!.length >= marker.length) {
          i++
          break
        }
        body.push(dedent(l, indent))
        i++
      }
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : ''
      out.push(
        `<pre><code${lang}>${escapeHtml(body.join('\n'))}${body.length ? '\n' : ''}</code></pre>`,
      )
      continue
    }
    const atx = ATX.exec(line)
    if (atx) {
      out.push(heading(ctx, atx[1]!.length, atx[2] ?? ''))
      i++
      continue
    }
    if (HR.test(line)) {
      out.push('<hr>')
      i++
      continue
    }
    if (indentOf(line) >= 4) {
      const body: string[] = []
      while (i < lines.length && (isBlank(lines[i]!) || indentOf(lines[i]!) >= 4)) {
        body.push(dedent(lines[i]!, 4))
        i++
      }
      while (body.length && isBlank(body.at(-1)!)) {
        body.pop()
      }
      out.push(`<pre><code>${escapeHtml(body.join('\n'))}\n</code></pre>`)
      continue
    }
    if (BLOCKQUOTE.test(line)) {
      const body: string[] = []
      while (i < lines.length && !isBlank(lines[i]!)) {
        const l = lines[i]!
        if (BLOCKQUOTE.test(l)) {
          body.push(l.replace(BLOCKQUOTE, ''))
        } else if (body.length && !interrupts(l)) {
          body.push(l) // lazy continuation
        } else {
          break
        }
        i++
      }
      out.push(`<blockquote>\n${blocks(ctx, body)}\n</blockquote>`)
      continue
    }
    if (HTML_BLOCK.test(line)) {
      const body: string[] = []
      while (i < lines.length && !isBlank(lines[i]!)) {
        body.push(lines[i]!)
        i++
      }
      const html = body.join('\n')
      if (!/^\s*<!--[\s\S]*-->\s*$/.test(html)) {
        out.push(html)
      }
      continue
    }
    if (LIST_ITEM.test(line)) {
      i = list(ctx, lines, i, out)
      continue
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_DELIMITER.test(lines[i + 1]!)) {
      const head = splitRow(line)
      const aligns = splitRow(lines[i + 1]!).map((d) =>
        d.startsWith(':') && d.endsWith(':')
          ? 'center'
          : d.endsWith(':')
            ? 'right'
            : d.startsWith(':')
              ? 'left'
              : '',
      )
      if (aligns.length === head.length) {
        i += 2
        const rows: string[][] = []
        while (
          i < lines.length &&
          !isBlank(lines[i]!) &&
          lines[i]!.includes('|') &&
          !interrupts(lines[i]!)
        ) {
          rows.push(splitRow(lines[i]!))
          i++
        }
        const cell = (tag: string, text: string | undefined, col: number): string => {
          const align = aligns[col] ? ` style="text-align:${aligns[col]}"` : ''
          return `<${tag}${align}>${inline(ctx, text ?? '')}</${tag}>`
        }
        const thead = `<thead><tr>${head.map((h, c) => cell('th', h, c)).join('')}</tr></thead>`
        const tbody = rows.length
          ? `<tbody>${rows.map((r) => `<tr>${head.map((_, c) => cell('td', r[c], c)).join('')}</tr>`).join('\n')}</tbody>`
          : ''
        out.push(`<table>${thead}\n${tbody}</table>`)
        continue
      }
    }
    const ref = REF_DEF.exec(line)
    if (ref) {
      i++ // collected in the first pass
      continue
    }
    // Paragraph (or setext heading).
    const para: string[] = [line.trim()]
    i++
    let setext = 0
    while (i < lines.length && !isBlank(lines[i]!)) {
      const l = lines[i]!
      if (/^ {0,3}=+\s*$/.test(l)) {
        setext = 1
        i++
        break
      }
      if (/^ {0,3}-+\s*$/.test(l)) {
        setext = 2
        i++
        break
      }
      if (interrupts(l) || (l.includes('|') && TABLE_DELIMITER.test(lines[i + 1] ?? ''))) {
        break
      }
      para.push(l.replace(/^\s+/, ''))
      i++
    }
    if (setext) {
      out.push(heading(ctx, setext, para.join(' ')))
    } else {
      const text = inline(ctx, para.join('\n'))
      out.push(tight ? text : `<p>${text}</p>`)
    }
  }
  return out.join('\n')
}

function heading(ctx: Context, level: number, text: string): string {
  const html = inline(ctx, text.trim())
  const plain = stripTags(html)
  const id = ctx.slugger.slug(plain)
  ctx.ids.push(id)
  if (level === 1 && ctx.title === undefined) {
    ctx.title = plain
  }
  return `<h${level} id="${escapeHtml(id)}"><a class="anchor" href="#${escapeHtml(id)}" aria-hidden="true">#</a>${html}</h${level}>`
}

/** Parses one list starting at `start`, appends its HTML to `out`, returns the next line index. */
function list(ctx: Context, lines: string[], start: number, out: string[]): number {
  const first = LIST_ITEM.exec(lines[start]!)!
  const ordered = /^\d/.test(first[2]!)
  const delimiter = first[2]!.slice(-1)
  const items: { lines: string[]; blankInside: boolean }[] = []
  let loose = false
  let i = start
  while (i < lines.length) {
    const m = LIST_ITEM.exec(lines[i]!)
    if (!m || /^\d/.test(m[2]!) !== ordered || m[2]!.slice(-1) !== delimiter) {
      break
    }
    const markerWidth = m[1]!.length + m[2]!.length
    const contentIndent = m[4] === '' ? markerWidth + 1 : markerWidth + Math.min(m[3]!.length, 4)
    const item = { lines: [m[4]!], blankInside: false }
    i++
    let pendingBlank = false
    while (i < lines.length) {
      const l = lines[i]!
      if (isBlank(l)) {
        pendingBlank = true
        item.lines.push('')
        i++
        continue
      }
      if (indentOf(l) >= contentIndent) {
        if (pendingBlank) {
          item.blankInside = true
        }
        pendingBlank = false
        item.lines.push(dedent(l, contentIndent))
        i++
        continue
      }
      if (!pendingBlank && !interrupts(l) && !LIST_ITEM.test(l)) {
        item.lines.push(l.trim()) // lazy continuation
        i++
        continue
      }
      break
    }
    while (item.lines.length && isBlank(item.lines.at(-1)!)) {
      item.lines.pop()
    }
    items.push(item)
    if (item.blankInside) {
      loose = true
    }
    // A blank line between items makes the list loose.
    if (pendingBlank && i < lines.length) {
      const next = LIST_ITEM.exec(lines[i]!)
      if (next && /^\d/.test(next[2]!) === ordered && next[2]!.slice(-1) === delimiter) {
        loose = true
      }
    }
  }
  const startAt = ordered ? Number.parseInt(first[2]!, 10) : 1
  const open = ordered ? (startAt === 1 ? '<ol>' : `<ol start="${startAt}">`) : '<ul>'
  const html = items.map((item) => {
    const task = /^\[([ xX])\]\s+/.exec(item.lines[0] ?? '')
    let prefix = ''
    if (task) {
      item.lines[0] = item.lines[0]!.slice(task[0].length)
      prefix = `<input type="checkbox" disabled${task[1] === ' ' ? '' : ' checked'}> `
    }
    return `<li>${prefix}${blocks(ctx, item.lines, !loose)}</li>`
  })
  out.push(`${open}\n${html.join('\n')}\n${ordered ? '</ol>' : '</ul>'}`)
  return i
}

/** Renders a Markdown document. `rewrite` maps every link and image target. */
export function renderMarkdown(source: string, rewrite: LinkRewriter): Rendered {
  const lines = source.replace(/\r\n?/g, '\n').split('\n')
  const refs = new Map<string, { href: string; title: string | undefined }>()
  let inFence = false
  for (const line of lines) {
    if (FENCE.test(line) || /^ {0,3}(`{3,}|~{3,})\s*$/.test(line)) {
      inFence = !inFence
      continue
    }
    const m = inFence ? null : REF_DEF.exec(line)
    if (m) {
      const href = m[2]!.startsWith('<') ? m[2]!.slice(1, -1) : m[2]!
      const key = m[1]!.trim().toLowerCase().replace(/\s+/g, ' ')
      if (!refs.has(key)) {
        refs.set(key, { href, title: m[3]?.slice(1, -1) })
      }
    }
  }
  const ctx: Context = { rewrite, refs, slugger: new Slugger(), ids: [], title: undefined }
  const html = blocks(ctx, lines)
  return { html, title: ctx.title, ids: ctx.ids }
}
