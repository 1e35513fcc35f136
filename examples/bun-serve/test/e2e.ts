/** The example's end-to-end test: see examples/kit/src/verifying-server.ts. */
import { fileURLToPath } from 'node:url'
import { checkVerifyingServer } from '@countersign/example-kit/verifying-server.ts'

const cwd = fileURLToPath(new URL('..', import.meta.url))
await checkVerifyingServer({
  label: 'Bun.serve example',
  command: 'bun',
  args: ['src/main.ts'],
  cwd,
})
