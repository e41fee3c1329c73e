import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { aChallenge, inState, processing } from "./builders.ts";
import { registerAcmeClientMetrics, registerChallengeStatusMetric } from "./metrics.ts";

describe("ACME metrics", () => {
  it("counts and times requests with cert-manager's names and labels", async () => {
    const registry = new Registry();
    const m = registerAcmeClientMetrics(registry);
    m.observe({
      scheme: "https",
      host: "acme.test",
      action: "get_order",
      method: "POST",
      status: "200",
      seconds: 0.05,
    });
    m.observe({
      scheme: "https",
      host: "acme.test",
      action: "get_order",
      method: "POST",
      status: "200",
      seconds: 0.07,
    });
    const text = await registry.metrics();
    expect(text).toContain(
      'certmanager_http_acme_client_request_count{scheme="https",host="acme.test",action="get_order",method="POST",status="200"} 2',
    );
    expect(text).toContain(
      'certmanager_http_acme_client_request_duration_seconds{quantile="0.5",scheme="https",host="acme.test",action="get_order",method="POST",status="200"}',
    );
    expect(text).toContain("certmanager_http_acme_client_request_duration_seconds_count");
  });

  it("reports each challenge's state as one series per state", async () => {
    const registry = new Registry();
    registerChallengeStatusMetric(registry, {
      list: () => [aChallenge("c1", "a.example.com", inState("pending"), processing)],
    });
    const text = await registry.metrics();
    expect(text).toContain(
      'certmanager_certificate_challenge_status{status="pending",domain="a.example.com",reason="",processing="true",name="c1",namespace="ns",type="HTTP-01"} 1',
    );
    expect(text).toContain(
      'certmanager_certificate_challenge_status{status="valid",domain="a.example.com",reason="",processing="true",name="c1",namespace="ns",type="HTTP-01"} 0',
    );
  });
});
