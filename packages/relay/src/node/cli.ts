#!/usr/bin/env node
/**
 * The `countersign-relay` executable. See {@link runRelayCli}.
 *
 * @module
 */
import { runRelayCli } from './cli-main.ts'

runRelayCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(
      `countersign-relay: ${error instanceof Error ? error.message : String(error)}\n`,
    )
    process.exitCode = 1
  },
)
