import { describe, expect, it } from "vitest";
import { ConfigError } from "@certkeeper/config";
import { loadWebhookConfig } from "./config.ts";

describe("loadWebhookConfig", () => {
  it("has cert-manager's defaults", () => {
    const c = loadWebhookConfig({ argv: [], env: {} });
    expect(c).toMatchObject({
      securePort: 6443,
      healthzPort: 6080,
      metricsPort: 9402,
      listenHost: "127.0.0.1",
      dynamicServingCaSecretName: "cert-manager-webhook-ca",
      leafDurationMs: 7 * 24 * 3600 * 1000,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("splits serving names into DNS names and IPs; flags beat env", () => {
    const c = loadWebhookConfig({
      argv: ["--dynamic-serving-dns-names=localhost,127.0.0.1,::1", "--secure-port", "10250"],
      env: { CERTKEEPER_WEBHOOK_SECURE_PORT: "1", CERTKEEPER_WEBHOOK_LISTEN_HOST: "0.0.0.0" },
    });
    expect([c.servingDnsNames, c.servingIpAddresses]).toEqual([["localhost"], ["127.0.0.1", "::1"]]);
    expect([c.securePort, c.listenHost]).toEqual([10250, "0.0.0.0"]);
  });

  it("lists every problem at once", () => {
    try {
      loadWebhookConfig({
        argv: ["--dynamic-serving-dns-names=", "--dynamic-serving-leaf-duration=soon"],
        env: {},
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        "--dynamic-serving-dns-names: at least one DNS name or IP address is required",
        '--dynamic-serving-leaf-duration: "soon" is not a duration',
      ]);
    }
  });
});
