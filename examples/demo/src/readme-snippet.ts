/**
 * Runs the README's "In 30 seconds" example as written, so the front page never lies.
 * Exits non-zero if the snippet throws or does not print the verified body.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8')
const section = readme.split('## In 30 seconds')[1] ?? ''
const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
if (code === undefined) {
  throw new Error('README has no ts block under "In 30 seconds"')
}
const file = join(import.meta.dirname, '.readme-snippet.ts')
writeFileSync(file, code)
try {
  const output = execFileSync(process.execPath, [file], { encoding: 'utf8' })
  if (!output.includes('{"sku":"A-1","qty":2}')) {
    throw new Error(`README snippet printed something unexpected: ${output}`)
  }
  console.log('README snippet: 1 passed, 0 failed')
} finally {
  rmSync(file, { force: true })
}
