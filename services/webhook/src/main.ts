/**
 * certkeeper webhook process: reads flags/env, connects, listens, and shuts down on SIGTERM/SIGINT.
 * The only file that touches process state or opens sockets; everything else is built by app.ts.
 *
 *   tsx services/webhook/src/main.ts --kubeconfig=$KUBECONFIG \
 *     --dynamic-serving-ca-secret-namespace=cert-manager --dynamic-serving-dns-names=localhost,127.0.0.1
 */
import { KubeClient, loadKubeConfig } from "@certkeeper/kube";
import { ConfigError } from "@certkeeper/config";
import { createLogger } from "@certkeeper/logging";
import { build } from "./app.ts";
import { DiscoverySignerResolver, SubjectAccessReviewer } from "./authz.ts";
import { loadWebhookConfig } from "./config.ts";
import { NatsDenials } from "./events.ts";
import { DynamicServingTLS } from "./tls/dynamic.ts";

async function main(): Promise<void> {
  let config;
  try {
    config = loadWebhookConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ service: "webhook", level: config.logLevel });
  log.info(
    {
      secure_port: config.securePort,
      healthz_port: config.healthzPort,
      metrics_port: config.metricsPort,
      listen_host: config.listenHost,
      ca_secret: `${config.dynamicServingCaSecretNamespace}/${config.dynamicServingCaSecretName}`,
      dns_names: config.servingDnsNames,
      ip_addresses: config.servingIpAddresses,
      leaf_duration: config.dynamicServingLeafDuration,
      nats: config.natsUrl ? "configured" : "off",
    },
    "starting webhook",
  );

  const client = new KubeClient(loadKubeConfig({ kubeconfig: config.kubeconfig }), {
    userAgent: "certkeeper-webhook",
  });
  const denials = config.natsUrl
    ? new NatsDenials({ servers: config.natsUrl, user: config.natsUser, pass: config.natsPassword, log })
    : undefined;
  const apps = build({
    log,
    approval: { reviewer: new SubjectAccessReviewer(client), signers: new DiscoverySignerResolver(client) },
    denials,
  });
  const tls = new DynamicServingTLS({
    client,
    namespace: config.dynamicServingCaSecretNamespace,
    name: config.dynamicServingCaSecretName,
    dnsNames: config.servingDnsNames,
    ipAddresses: config.servingIpAddresses,
    leafDurationMs: config.leafDurationMs,
    log: log.child({ component: "tls" }),
  });
  tls.onChange((c) => apps.setServingCertificate(c));
  tls.start();
  denials?.start();

  const host = config.listenHost;
  await apps.health.listen({ host, port: config.healthzPort });
  await apps.metricsApp.listen({ host, port: config.metricsPort });
  // Until the first leaf is issued TLS handshakes fail and /healthz says not ready.
  await apps.webhook.listen({ host, port: config.securePort });
  log.info({ address: apps.webhook.server.address() }, "webhook listening");

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    await apps.close().catch((err: unknown) => log.error({ err: (err as Error).message }, "close failed"));
    await tls.stop();
    await denials?.stop();
    await client.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`webhook failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
