/** The packages the suite covers: the columns of the root README's runtime × package table. */
export const PACKAGES = ['core', 'signer', 'verifier', 'tokens', 'client']

/** The runtimes it runs on, in the order of the table's rows and of scripts/test-all.sh. */
export const RUNTIMES = ['node22', 'node24', 'bun', 'deno', 'workerd', 'chromium']
