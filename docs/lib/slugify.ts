/**
 * GitHub's heading anchors, so a `#fragment` works the same on GitHub, in a clone and on the site.
 *
 * @example
 * ```ts
 * slugify('API keys (Icypeas, Unkey style)') // 'api-keys-icypeas-unkey-style'
 * slugify('`signature_expired`') // 'signature_expired'
 * ```
 */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}
