/**
 * The entry of the relay's signing worker thread (`dist/sign-worker-thread.js`; in the tests,
 * this file, run by Node's type stripping).
 *
 * @internal
 * @module
 */
import { parentPort } from 'node:worker_threads'
import { serveSignWorker } from './sign-worker-serve.ts'

if (parentPort !== null) {
  serveSignWorker(parentPort)
}
