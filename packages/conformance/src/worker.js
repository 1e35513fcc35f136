/**
 * The suite's entry in workerd: `POST /run` with the loopback servers as JSON runs the suite
 * inside the worker; every other request goes to the Cloudflare Worker example
 * (examples/worker), which verifies signed requests sent to it from Node.
 */
import example from '../../../examples/worker/src/worker.ts'
import { runSuite } from './suite.js'

export default {
  async fetch(request, env, context) {
    const url = new URL(request.url)
    if (request.method === 'POST' && url.pathname === '/__conformance/run') {
      return Response.json(await runSuite(await request.json()))
    }
    return example.fetch(request, env, context)
  },
}
