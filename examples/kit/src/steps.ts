/**
 * A tiny step runner for the demo: prints each step, records failures, and never hides an
 * unexpected error.
 */
const quiet = process.argv.includes('--quiet')
let failures = 0
let passed = 0

/** Prints a section heading. */
export function section(title: string): void {
  if (!quiet) {
    console.log(`\n\x1b[1m${title}\x1b[0m`)
  }
}

/** Prints a detail line under the current step. */
export function detail(text: string): void {
  if (!quiet) {
    console.log(`      ${text}`)
  }
}

/** Runs one step; `check` returns a short outcome or throws to fail the step. */
export async function step(title: string, check: () => Promise<string>): Promise<void> {
  try {
    const outcome = await check()
    passed++
    if (!quiet) {
      console.log(`  \x1b[32m✔\x1b[0m ${title}: ${outcome}`)
    }
  } catch (error) {
    failures++
    console.log(
      `  \x1b[31m✘\x1b[0m ${title}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}

/** Throws unless `condition` holds. */
export function expect(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new Error(message)
  }
}

/** Prints the closing count and sets the exit code. */
export function finish(label = 'example'): void {
  console.log(`\n${label}: ${passed} passed, ${failures} failed`)
  process.exitCode = failures === 0 ? 0 : 1
}
