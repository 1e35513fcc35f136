/** Runs the suite under a runtime with a command line (Node 22/24, Bun, Deno) as a child process. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const TIMEOUT_MS = 120_000

/** The command of each runtime; the binaries come from scripts/bootstrap.sh. */
function commandFor(runtime) {
  switch (runtime) {
    case 'node24':
      return [process.execPath, ['cli.js']]
    case 'node22':
      if (!process.env.CS_NODE22) {
        throw new Error(
          'CS_NODE22 is not set: source scripts/bootstrap.sh and run cs_ensure_runtimes',
        )
      }
      return [process.env.CS_NODE22, ['cli.js']]
    case 'bun':
      return ['bun', ['cli.js']]
    case 'deno':
      return [
        'deno',
        [
          'run',
          '--quiet',
          '--allow-net=127.0.0.1',
          '--allow-env=CS_CONFORMANCE_NET',
          '--allow-read',
          'cli.js',
        ],
      ]
    default:
      throw new Error(`no command for ${runtime}`)
  }
}

/** Spawns `command` in this folder; resolves with its exit code, stdout and stderr. */
export function spawnCollect(command, args, env, cwd = here) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(
        new Error(
          `${command} could not start (${error.code}): is it installed? run scripts/bootstrap.sh`,
        ),
      )
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/** Runs cli.js under `runtime` and answers the suite's outcome. */
export async function runCommand(runtime, net) {
  const [command, args] = commandFor(runtime)
  const { code, signal, stdout, stderr } = await spawnCollect(command, args, {
    CS_CONFORMANCE_NET: JSON.stringify(net),
  })
  const line = stdout.split('\n').find((l) => l.startsWith('CS_CONFORMANCE_RESULT '))
  if (line === undefined) {
    throw new Error(
      `${runtime} exited with ${code ?? signal} and no result:\n${stderr.slice(-2000)}${stdout.slice(-1000)}`,
    )
  }
  const outcome = JSON.parse(line.slice('CS_CONFORMANCE_RESULT '.length))
  if (outcome.runtime !== runtime) {
    throw new Error(`the suite says it ran on ${outcome.runtime}, not ${runtime}`)
  }
  return outcome
}
