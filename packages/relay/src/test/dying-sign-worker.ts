/**
 * The real signing worker, except that a forward to a URL ending in `/die` makes it exit
 * (`sign-worker.test.ts` runs it to see the relay survive a dying worker).
 */
import { parentPort } from 'node:worker_threads'
import type { ToWorker } from '../internal/sign-worker-protocol.ts'
import { serveSignWorker } from '../internal/sign-worker-serve.ts'

if (parentPort !== null) {
  parentPort.on('message', (message: ToWorker) => {
    if (message.type === 'sign' && message.jobs.some((job) => job[2].endsWith('/die'))) {
      process.exit(1)
    }
  })
  serveSignWorker(parentPort)
}
