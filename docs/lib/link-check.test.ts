import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkLinks } from './link-check.ts'

let dir: string | undefined

function site(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'cs-links-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

afterEach(() => {
  if (dir) {
    rmSync(dir, { recursive: true, force: true })
  }
})

describe('checkLinks', () => {
  it('accepts existing files, directories with index.html, anchors and external URLs', () => {
    const root = site({
      'index.html':
        '<h1 id="top">t</h1><a href="#top">1</a><a href="g/">2</a><a href="g/a.html#s%C3%A9">3</a>' +
        '<a href="https://x.example/nope">4</a><a href="mailto:a@b.example">5</a><use href="i.svg#icon"></use>',
      'g/index.html': '',
      'g/a.html': '<h2 id="sé">s</h2>',
      'i.svg': '<svg><g id="icon"></g></svg>',
    })
    expect(checkLinks(root)).toEqual([])
  })

  it('reports missing files, missing anchors, root-relative and escaping links', () => {
    const root = site({
      'index.html':
        '<a href="gone.html">1</a><a href="#nope">2</a><a href="/abs.html">3</a><a href="../out.html">4</a>' +
        '<script>const s = "<a href=\\"ignored.html\\">"</script><!-- <a href="ignored.html"> -->',
    })
    expect(checkLinks(root).map((b) => [b.href, b.reason])).toEqual([
      ['gone.html', 'no file gone.html'],
      ['#nope', 'no id "nope" in index.html'],
      ['/abs.html', 'root-relative link (breaks when hosted under a path)'],
      ['../out.html', 'points outside the site'],
    ])
  })

  it('resolves root-relative links under the base, with clean URLs, and reports the rest', () => {
    const root = site({
      'index.html':
        '<a href="/docs/guides/a#s">1</a><a href="/docs/errors/">2</a><a href="/docs/guides/a.html">3</a>' +
        '<a href="/docs/guides/b">4</a><a href="/other/x.html">5</a><a href="/docs/guides/a#nope">6</a>' +
        '<a href="/docs/../../etc/passwd">7</a>',
      'guides/a.html': '<h2 id="s">s</h2>',
      'errors/index.html': '',
    })
    expect(checkLinks(root, { base: '/docs/' }).map((b) => [b.href, b.reason])).toEqual([
      ['/docs/guides/b', 'no file guides/b'],
      ['/other/x.html', 'root-relative link outside the base /docs/'],
      ['/docs/guides/a#nope', 'no id "nope" in guides/a.html'],
      ['/docs/../../etc/passwd', 'points outside the site'],
    ])
  })
})
