/**
 * The suite's runner for runtimes with a command line (Node, Bun, Deno): reads the loopback
 * servers from the CS_CONFORMANCE_NET environment variable, runs the suite, and prints its
 * result as one JSON line for the Node host (run-runtime.js) to read.
 */
import { runSuite } from './suite.js'

const env =
  globalThis.Deno?.env.get('CS_CONFORMANCE_NET') ?? globalThis.process?.env.CS_CONFORMANCE_NET
const outcome = await runSuite(env === undefined ? undefined : JSON.parse(env))
console.log(`CS_CONFORMANCE_RESULT ${JSON.stringify(outcome)}`)
