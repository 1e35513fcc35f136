/**
 * Starts `workerd serve config.capnp` on 127.0.0.1:$PORT and prints `listening on <url>` once
 * the port answers (workerd itself prints nothing); stops workerd when this process is stopped.
 */
import { spawn } from 'node:child_process'

const port = process.env.PORT ?? '8787'
const url = `http://127.0.0.1:${port}`
const child = spawn(
  'workerd',
  ['serve', 'config.capnp', '--socket-addr', `http=127.0.0.1:${port}`],
  {
    stdio: 'inherit',
  },
)
child.on('exit', (code) => process.exit(code ?? 1))
child.on('error', (error) => {
  console.error(`workerd could not start (${String(error)}): run scripts/bootstrap.sh`)
  process.exit(1)
})
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => child.kill(signal))
}
for (let i = 0; i < 300; i++) {
  try {
    await fetch(url)
    console.log(`listening on ${url}`)
    break
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
