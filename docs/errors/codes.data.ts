/**
 * VitePress data loader: every error code from `guides/errors.md`, for the codes index page.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { type ErrorPage, errorPages } from '../lib/error-pages.ts'

declare const data: ErrorPage[]

export { data }

export default {
  watchFiles: ['../guides/errors.md'],
  load(): ErrorPage[] {
    return errorPages(readFileSync(new URL('../guides/errors.md', import.meta.url), 'utf8'))
  },
}
