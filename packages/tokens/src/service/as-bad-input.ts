/**
 * Library input errors as request errors.
 *
 * @module
 */
import { badInput } from './members.ts'

/**
 * Runs a library call whose `TypeError`/`RangeError` means the caller's input was bad; a
 * message naming one of the body's `members` becomes a `MemberError` for it.
 */
export async function asBadInput<T>(
  operation: () => Promise<T>,
  members: readonly string[] = [],
): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw badInput(error, members)
    }
    throw error
  }
}
