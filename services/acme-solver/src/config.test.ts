import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "@certkeeper/config";
import { ENV_PREFIX, SolverConfigSchema, redacted } from "./config.ts";

const load = (argv: string[], env: Record<string, string> = {}) =>
  loadConfig(SolverConfigSchema, { argv, env, envPrefix: ENV_PREFIX });

describe("config", () => {
  it("has cert-manager's port and a loopback default", () => {
    const c = load(["--nats-url", "nats://127.0.0.1:4222"]);
    expect(c).toMatchObject({
      listenHost: "127.0.0.1",
      listenPort: 8089,
      logLevel: "info",
      healthzRequireNats: false,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("reads env and flags, flags winning", () => {
    const c = load(["--listen-port", "0", "--nats-url=nats://a:1"], {
      CERTKEEPER_ACME_SOLVER_LISTEN_PORT: "9000",
      CERTKEEPER_ACME_SOLVER_NATS_PASSWORD: "s3cret",
    });
    expect(c.listenPort).toBe(0);
    expect(c.natsPassword).toBe("s3cret");
    expect(redacted(c).natsPassword).toBe("[redacted]");
  });

  it("lists every problem", () => {
    let err: unknown;
    try {
      load(["--listen-port", "70000", "--log-level", "loud", "--bogus", "x"]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join("\n");
    expect(problems).toMatch(/--nats-url/);
    expect(problems).toMatch(/--listen-port/);
    expect(problems).toMatch(/--log-level/);
    expect(problems).toMatch(/--bogus: unknown flag/);
  });
});
