/**
 * Where the docs site lives, shared by the VitePress config, the build and the tests.
 *
 * @module
 */

/** The path the site is served under (VitePress `base`), with both slashes. */
export const SITE_BASE = '/'

/** The repository, for "edit this page" and for links to files outside `docs/`. */
export const REPO_URL = 'https://github.com/countersign/countersign'

/** The branch those links point at. */
export const REPO_BRANCH = 'main'
