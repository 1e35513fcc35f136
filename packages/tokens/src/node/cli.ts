#!/usr/bin/env node
/// <reference types="node" />
/**
 * The `countersign-tokens` executable. See {@link runTokensCli}.
 *
 * @module
 */
import { runTokensCli } from './cli-main.ts'

runTokensCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(
      `countersign tokens: ${error instanceof Error ? error.message : String(error)}\n`,
    )
    process.exitCode = 1
  },
)
