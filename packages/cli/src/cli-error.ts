/**
 * The error every command throws to stop with a message and an exit code.
 *
 * @module
 */

/** The documented exit codes (see the README). */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** The operation ran and failed: a request that does not verify, an unexpected error. */
  failed: 1,
  /** Bad usage: an unknown command or option, a missing or invalid value. */
  usage: 2,
  /**
   * Could not start: a bad config, an unreadable key file, a port in use, a store that did not
   * answer within the start-up timeout.
   */
  startup: 3,
} as const

/** An error with the exit code it ends the command with; its message is one line for stderr. */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number

  constructor(exitCode: number, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}
