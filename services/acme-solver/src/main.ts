/**
 * Entry point of the acme-solver: the only place that reads flags, env and signals.
 *
 *   --listen-host 127.0.0.1  --listen-port 8089  --nats-url nats://…  [--nats-user U]
 *   [--nats-ca-file F --nats-cert-file F --nats-key-file F]  [--log-level info]  [--healthz-require-nats]
 *
 * Every flag may also come from CERTKEEPER_ACME_SOLVER_<FLAG> (e.g. …_NATS_PASSWORD, which is the
 * way to pass the password: it stays out of the process list).
 */
import { ConfigError, loadConfig } from "@certkeeper/config";
import { createLogger } from "@certkeeper/logging";
import { build } from "./app.ts";
import { ENV_PREFIX, SolverConfigSchema, redacted } from "./config.ts";

let config;
try {
  config = loadConfig(SolverConfigSchema, {
    argv: process.argv.slice(2),
    env: process.env,
    envPrefix: ENV_PREFIX,
  });
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}

const log = createLogger({ service: "acme-solver", level: config.logLevel });
log.info({ config: redacted(config) }, "configuration");

const app = build({ config, log });
const abort = new AbortController();
let stopping = false;

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, "shutting down");
    abort.abort();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  });
}

try {
  const { address } = await app.start(abort.signal);
  log.info({ address }, "listening");
} catch (err) {
  if (!stopping) {
    log.fatal({ err }, "acme-solver could not start");
    process.exit(1);
  }
}
