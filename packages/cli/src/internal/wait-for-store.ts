/**
 * Start-up probing of a store that may be down (Redis): retry with backoff until a deadline.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { CliError, EXIT } from '../cli-error.ts'

/**
 * Calls `probe` until it resolves, pausing 100 ms, 200 ms, 400 ms … (at most 2 s) between
 * attempts, and gives up with a start-up `CliError` once `timeoutMs` has passed.
 */
export async function waitForStore<T>(
  probe: () => Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let pause = 100
  for (;;) {
    try {
      return await probe()
    } catch (error) {
      const left = deadline - Date.now()
      if (left <= 0) {
        const reason = error instanceof Error ? error.message : String(error)
        throw new CliError(
          EXIT.startup,
          `${what} did not answer within ${timeoutMs} ms (--start-timeout): ${reason}`,
          { cause: error },
        )
      }
      await sleep(Math.min(pause, left))
      pause = Math.min(pause * 2, 2000)
    }
  }
}
