/**
 * The CLI's version, read from its package.json (this file sits in src/, its build in dist/,
 * both one level below the package root).
 *
 * @module
 */
import { readFileSync } from 'node:fs'

/** The version of `@countersign/cli`. */
export function cliVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
  return (JSON.parse(text) as { version: string }).version
}
