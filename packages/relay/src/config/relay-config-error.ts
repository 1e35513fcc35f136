/**
 * The error every relay configuration check throws.
 *
 * @module
 */

/** One problem found in a configuration. */
export interface RelayConfigIssue {
  /** Where, as a JSON path (`targets[1].baseUrl`; empty for the whole document). */
  path: string
  /** What is wrong. */
  message: string
}

/**
 * A configuration that does not validate. `message` lists every issue, one per line, as
 * `path: message`; `issues` has them as data. Never quotes a secret.
 */
export class RelayConfigError extends TypeError {
  /** Every issue found. */
  readonly issues: readonly RelayConfigIssue[]

  constructor(issues: readonly RelayConfigIssue[]) {
    super(
      issues
        .map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`))
        .join('\n'),
    )
    this.name = 'RelayConfigError'
    this.issues = issues
  }
}
