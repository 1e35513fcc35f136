import { describe, expect, it } from 'vitest'
import { extractSnippets } from './snippets.ts'

describe('extractSnippets', () => {
  it('returns each fenced block with its language, tab label and line', () => {
    const md = ['# t', '', '```ts [Node]', 'const a = 1', '```', '', '~~~sh', 'ls', '~~~'].join(
      '\n',
    )
    expect(extractSnippets(md)).toEqual([
      { lang: 'ts', meta: '[Node]', line: 3, code: 'const a = 1' },
      { lang: 'sh', meta: '', line: 7, code: 'ls' },
    ])
  })

  it('keeps a shorter fence inside a longer one as content, and strips list indentation', () => {
    const md = [
      '````md',
      '```ts',
      'x',
      '```',
      '````',
      '- item',
      '',
      '  ```ts',
      '  const b = 2',
      '  ```',
    ].join('\n')
    expect(extractSnippets(md)).toEqual([
      { lang: 'md', meta: '', line: 1, code: '```ts\nx\n```' },
      { lang: 'ts', meta: '', line: 8, code: 'const b = 2' },
    ])
  })
})
