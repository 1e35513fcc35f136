/**
 * The real signing worker, except that a body starting with "X" cannot be signed there
 * (`sign-worker.test.ts` runs it to see the relay sign that one on its event loop).
 */
import { parentPort } from 'node:worker_threads'
import { serveSignWorker, signJob } from '../internal/sign-worker-serve.ts'

if (parentPort !== null) {
  serveSignWorker(parentPort, (state, job) =>
    job[3].startsWith('X') ? Promise.resolve(null) : signJob(state, job),
  )
}
