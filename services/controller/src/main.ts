/** Entry point of the controller service: config from flags/env, signals, process lifecycle. */
import { loadConfig, ConfigError } from "@certkeeper/config";
import { loadKubeConfig } from "@certkeeper/kube";
import { createLogger } from "@certkeeper/logging";
import { buildController } from "./app.ts";
import { ControllerConfigSchema } from "./config.ts";

let config;
try {
  config = loadConfig(ControllerConfigSchema, {
    argv: process.argv.slice(2),
    env: process.env,
    envPrefix: "CERTKEEPER_CONTROLLER",
  });
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
const log = createLogger({ service: "controller", level: config.logLevel });
log.info(
  { config: { ...config, natsPassword: config.natsPassword ? "[redacted]" : undefined } },
  "configuration",
);
const app = buildController({ config, kubeConfig: loadKubeConfig({ kubeconfig: config.kubeconfig }), log });
const ports = await app.start();
log.info(ports, "listening");

let stopping = false;
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, "shutting down");
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  });
}
