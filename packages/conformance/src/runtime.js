/**
 * Which runtime runs the suite, and which of core's crypto backends it must get there: decided
 * in docs/decisions.md (decision 29) from the numbers of bench/src/runtime-backends.mjs.
 */

/** `node22`, `node24`, `bun`, `deno`, `workerd` or `chromium`. */
export function runtimeName() {
  if (typeof globalThis.Bun !== 'undefined') {
    return 'bun'
  }
  if (typeof globalThis.Deno !== 'undefined') {
    return 'deno'
  }
  const agent = globalThis.navigator?.userAgent ?? ''
  if (agent.includes('Cloudflare-Workers')) {
    return 'workerd'
  }
  if (/Chrome\//.test(agent) && typeof globalThis.document !== 'undefined') {
    return 'chromium'
  }
  const node = globalThis.process?.versions?.node
  if (typeof node === 'string') {
    return `node${node.split('.')[0]}`
  }
  return 'unknown'
}

/** The backend each runtime resolves `@countersign/core` to, on purpose. */
export const EXPECTED_BACKEND = {
  node22: 'node',
  node24: 'node',
  bun: 'node',
  deno: 'web',
  workerd: 'web',
  chromium: 'web',
}
