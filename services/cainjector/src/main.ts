/**
 * Entry point of the cainjector: the only place that reads flags, env and signals.
 *
 *   --kubeconfig PATH  [--namespace NS] [--ignore-namespaces a,b] [--nats-url nats://…]
 *   [--leader-elect=false] [--leader-election-namespace kube-system] [--resync-period 10h]
 *   [--enable-certificates-data-source=false] [--enable-apiservices-injectable=false] …
 *   [--feature-gates CAInjectorMerging=false] [--metrics-listen-address 0.0.0.0:9402]
 *   [--healthz-listen-address 0.0.0.0:9403] [--log-level info]
 *
 * Every flag may also come from CERTKEEPER_CAINJECTOR_<FLAG> (e.g. …_NATS_PASSWORD, which keeps the
 * password out of the process list). Exit codes: 0 clean stop, 1 failure or lost leadership,
 * 2 bad configuration.
 */
import { ConfigError } from "@certkeeper/config";
import { loadKubeConfig } from "@certkeeper/kube";
import { createLogger } from "@certkeeper/logging";
import { build, type CAInjectorApp } from "./app.ts";
import { loadCAInjectorConfig, redacted, type CAInjectorConfig } from "./config.ts";

let config: Readonly<CAInjectorConfig>;
try {
  config = loadCAInjectorConfig({ argv: process.argv.slice(2), env: process.env });
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}

const log = createLogger({ service: "cainjector", level: config.logLevel });
log.info({ config: redacted(config) }, "configuration");

let app: CAInjectorApp;
try {
  app = build({
    config,
    kubeConfig: loadKubeConfig({ kubeconfig: config.kubeconfig, env: process.env }),
    log,
  });
} catch (err) {
  log.fatal({ err }, "cainjector could not be built");
  process.exit(1);
}

let stopping = false;
const shutdown = (code: number) => {
  if (stopping) return;
  stopping = true;
  app.stop().then(
    () => process.exit(code),
    (err: unknown) => {
      log.error({ err }, "error during shutdown");
      process.exit(1);
    },
  );
};
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => {
    log.info({ signal: sig }, "shutting down");
    shutdown(0);
  });
}
void app.died.then((err) => {
  log.error({ err }, "stopping");
  shutdown(1);
});

try {
  await app.start();
  log.info(app.addresses(), "listening");
} catch (err) {
  log.fatal({ err }, "cainjector could not start");
  process.exit(1);
}
