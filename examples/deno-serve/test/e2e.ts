/** The example's end-to-end test: see examples/kit/src/verifying-server.ts. */
import { fileURLToPath } from 'node:url'
import { checkVerifyingServer } from '@countersign/example-kit/verifying-server.ts'

const cwd = fileURLToPath(new URL('..', import.meta.url))
await checkVerifyingServer({
  label: 'Deno.serve example',
  command: 'deno',
  args: ['run', '--quiet', '--allow-net=127.0.0.1', '--allow-env=PUBLIC_JWK,PORT', 'src/main.ts'],
  cwd,
})
