import { describe, expect, it } from "vitest";
import { ConfigError } from "@certkeeper/config";
import { DEFAULT_LEASE_NAME, loadCAInjectorConfig, redacted, settingsOf } from "./config.ts";

const load = (argv: string[] = [], env: Record<string, string> = {}) => loadCAInjectorConfig({ argv, env });

describe("config", () => {
  it("has cert-manager's defaults", () => {
    const c = load();
    expect(c).toMatchObject({
      namespace: "",
      leaderElect: true,
      leaderElectionNamespace: "kube-system",
      leaderElectionLeaseName: DEFAULT_LEASE_NAME,
      enableCertificatesDataSource: true,
      enableValidatingwebhookconfigurationsInjectable: true,
      enableMutatingwebhookconfigurationsInjectable: true,
      enableCustomresourcedefinitionsInjectable: true,
      enableApiservicesInjectable: true,
      metricsListenAddress: "0.0.0.0:9402",
    });
    expect(Object.isFrozen(c)).toBe(true);
    const s = settingsOf(c);
    expect(s).toMatchObject({
      merging: true,
      resyncMs: 10 * 3600_000,
      metrics: { host: "0.0.0.0", port: 9402 },
    });
    expect(s.lease).toEqual({ durationMs: 60_000, renewDeadlineMs: 40_000, retryPeriodMs: 15_000 });
  });

  it("reads flags and env", () => {
    const c = load(
      [
        "--namespace",
        "team",
        "--leader-elect=false",
        "--no-enable-apiservices-injectable",
        "--feature-gates=CAInjectorMerging=false",
        "--ignore-namespaces",
        "a, b",
      ],
      { CERTKEEPER_CAINJECTOR_NATS_URL: "nats://127.0.0.1:4222" },
    );
    expect(c).toMatchObject({
      namespace: "team",
      leaderElect: false,
      enableApiservicesInjectable: false,
      natsUrl: "nats://127.0.0.1:4222",
    });
    expect(settingsOf(c)).toMatchObject({ merging: false, ignoreNamespaces: ["a", "b"] });
  });

  it("lists every problem at once", () => {
    let err: unknown;
    try {
      load([
        "--resync-period",
        "soon",
        "--feature-gates",
        "Nope=true",
        "--metrics-listen-address",
        "nowhere",
        "--bogus",
        "1",
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join("\n");
    expect(problems).toContain("--bogus: unknown flag");
    // Unknown flags stop loadConfig before the derived checks; fix them and the rest is reported.
    try {
      load([
        "--resync-period",
        "soon",
        "--feature-gates",
        "Nope=true",
        "--metrics-listen-address",
        "nowhere",
      ]);
    } catch (e) {
      err = e;
    }
    const rest = (err as ConfigError).problems.join("\n");
    expect(rest).toContain("--resync-period");
    expect(rest).toContain('unknown feature gate "Nope"');
    expect(rest).toContain("--metrics-listen-address");
  });

  it("checks the leader election timings", () => {
    expect(() => load(["--leader-election-renew-deadline", "90s"])).toThrow(
      /lease-duration > renew-deadline/,
    );
  });

  it("allows disabling the listeners and port 0", () => {
    const s = settingsOf(load(["--metrics-listen-address=", "--healthz-listen-address", "127.0.0.1:0"]));
    expect(s.metrics).toBeUndefined();
    expect(s.healthz).toEqual({ host: "127.0.0.1", port: 0 });
  });

  it("never logs the NATS password", () => {
    expect(redacted(load([], { CERTKEEPER_CAINJECTOR_NATS_PASSWORD: "s3cret" }))).toMatchObject({
      natsPassword: "[redacted]",
    });
  });
});
