/** The example's end-to-end test: see examples/kit/src/verifying-server.ts. */
import { fileURLToPath } from 'node:url'
import { checkVerifyingServer } from '@countersign/example-kit/verifying-server.ts'

const cwd = fileURLToPath(new URL('..', import.meta.url))
// workerd prints nothing when it listens: the wrapper says so once the port answers.
await checkVerifyingServer({
  label: 'Cloudflare Worker example (workerd)',
  command: process.execPath,
  args: ['test/serve.ts'],
  cwd,
})
