import { describe, expect, it } from 'vitest'
import { renderMarkdown, slugify } from './markdown.ts'

const render = (md: string, rewrite = (href: string) => href) => renderMarkdown(md, rewrite)

describe('renderMarkdown', () => {
  it('gives headings GitHub-style ids, numbering repeats', () => {
    const { html, ids, title } = render('# Hello `World`!\n\n## Hello World\n\n## Hello World\n')
    expect(ids).toEqual(['hello-world', 'hello-world-1', 'hello-world-2'])
    expect(title).toBe('Hello World!')
    expect(html).toContain('<h1 id="hello-world">')
    expect(slugify('RFC 9421: §2.1 `@method`')).toBe('rfc-9421-21-method')
  })

  it('passes every link and image target through the rewriter', () => {
    const seen: string[] = []
    const { html } = render(
      '[a](x.md#y) ![i](p.png) [r] <https://e.example>\n\n[r]: ref.md\n',
      (h) => {
        seen.push(h)
        return `/${h}`
      },
    )
    expect(seen).toEqual(['x.md#y', 'p.png', 'ref.md', 'https://e.example'])
    expect(html).toContain('<a href="/x.md#y">a</a>')
  })

  it('escapes HTML in text and code, and keeps code spans literal', () => {
    const { html } = render('a <script>x</script> `**b** <i>`\n\n```ts\nif (a < b && c) {}\n```\n')
    expect(html).toContain('a &lt;script&gt;x&lt;/script&gt; <code>**b** &lt;i&gt;</code>')
    expect(html).toContain(
      '<pre><code class="language-ts">if (a &lt; b &amp;&amp; c) {}\n</code></pre>',
    )
  })

  it('renders tables, with pipes inside code', () => {
    const { html } = render('| a | b |\n| --- | ---: |\n| `x \\| y` | 2 |\n')
    expect(html).toContain('<th>a</th><th style="text-align:right">b</th>')
    expect(html).toContain('<td><code>x | y</code></td>')
  })

  it('nests lists and keeps tight items free of <p>', () => {
    const { html } = render('- one\n  - inner\n- two\n\n1. a\n2. b\n')
    expect(html).toBe(
      '<ul>\n<li>one\n<ul>\n<li>inner</li>\n</ul></li>\n<li>two</li>\n</ul>\n<ol>\n<li>a</li>\n<li>b</li>\n</ol>',
    )
  })

  it('does not treat snake_case as emphasis', () => {
    expect(render('call max_age_seconds and *this*').html).toBe(
      '<p>call max_age_seconds and <em>this</em></p>',
    )
  })
})
