/**
 * Small text checks.
 *
 * @internal
 * @module
 */

/** Whether `text` holds a C0 control character or DEL (U+0000-U+001F, U+007F). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) {
      return true
    }
  }
  return false
}
