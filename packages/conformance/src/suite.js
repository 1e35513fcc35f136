/**
 * The conformance suite: one list of tests, run unchanged on every runtime Countersign claims.
 * Each test names the packages it covers; a cell of the root README's runtime × package table
 * is the tests of that package on that runtime (see packages/conformance/README.md).
 */

import { networkCases } from './cases-network.js'
import { signVerifyCases } from './cases-sign-verify.js'
import { tokenCases } from './cases-tokens.js'
import { vectorCases } from './cases-vectors.js'
import { runtimeName } from './runtime.js'

/** Every test, registered in order; `net` (loopback server URLs) adds the network tests. */
export function collectTests(net) {
  const tests = []
  const test = (name, packages, fn) => tests.push({ name, packages, fn })
  signVerifyCases(test)
  tokenCases(test)
  vectorCases(test)
  if (net !== undefined) {
    networkCases(test, net)
  }
  return tests
}

/** Runs every test one after another; answers the runtime, the backend and each outcome. */
export async function runSuite(net) {
  const results = []
  for (const { name, packages, fn } of collectTests(net)) {
    try {
      await fn()
      results.push({ name, packages, ok: true })
    } catch (error) {
      results.push({ name, packages, ok: false, error: String(error?.stack ?? error) })
    }
  }
  return { runtime: runtimeName(), results }
}
