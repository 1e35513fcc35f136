# workerd config for the example: `pnpm --filter @countersign/example-worker build`, then
#   PUBLIC_JWK='{"kty":"OKP",...}' workerd serve config.capnp --socket-addr http=127.0.0.1:8787
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "dist/worker.js") ],
  compatibilityDate = "2026-11-23",
  bindings = [ (name = "PUBLIC_JWK", fromEnvironment = "PUBLIC_JWK") ],
);
