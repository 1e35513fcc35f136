/**
 * The load generator of `pnpm --filter @countersign/bench bench:load`, run in its own process so
 * none of its work lands on the event loop it measures. It reads one JSON job on stdin —
 * `{ url, requests, expectBody, connections, durationSeconds }` — drives `url` with autocannon
 * (`connections` requests in flight, one per connection, cycling through `requests`) and
 * writes one JSON line: requests per second, p50/p99 latency (ms), and the count of errors,
 * timeouts, non-2xx answers and answers whose body is not `expectBody`.
 *
 * @module
 */
import autocannon from 'autocannon'

let input = ''
for await (const chunk of process.stdin) {
  input += chunk
}
const job = JSON.parse(input)
let mismatches = 0
/** Checks every answer (autocannon's own `expectBody` does not work with `requests`). */
const onResponse = (status, body) => {
  if (status !== 200 || body !== job.expectBody) {
    mismatches++
  }
}
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  pipelining: 1,
  duration: job.durationSeconds,
  requests: job.requests.map((request) => ({ ...request, onResponse })),
})
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.total / (result.duration || job.durationSeconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches,
  })}\n`,
)
