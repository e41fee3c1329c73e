import type { Certificate, ClusterIssuer, Issuer } from "@certkeeper/api";
import { FakeClock, SyncCounters } from "@certkeeper/kube";
import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.ts";

function cert(
  name: string,
  status: Certificate["status"],
  issuerRef: Certificate["spec"]["issuerRef"] = { name: "ca" },
): Certificate {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace: "ns" },
    spec: { secretName: `${name}-tls`, issuerRef },
    status,
  };
}

const readyCond = (status: "True" | "False") =>
  [{ type: "Ready", status, reason: "r", message: "m" }] as NonNullable<Certificate["status"]>["conditions"];

function setup() {
  const certificates: Certificate[] = [
    cert("web", {
      conditions: readyCond("True"),
      notBefore: "2025-01-01T00:00:00Z",
      notAfter: "2025-04-01T00:00:00Z",
      renewalTime: "2025-03-02T00:00:00Z",
    }),
    cert("new", undefined, { name: "le", kind: "ClusterIssuer", group: "cert-manager.io" }),
  ];
  const issuers: Issuer[] = [
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Issuer",
      metadata: { name: "ca", namespace: "ns" },
      spec: { ca: { secretName: "x" } },
      status: { conditions: readyCond("False") },
    } as Issuer,
  ];
  const clusterIssuers: ClusterIssuer[] = [
    {
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name: "le" },
      spec: { selfSigned: {} },
    },
  ];
  const counters = new SyncCounters();
  counters.recordCall("certificates-issuing");
  counters.recordCall("certificates-issuing");
  counters.recordError("certificates-issuing");
  const metrics = createMetrics({
    caches: {
      certificates: { list: () => certificates },
      issuers: { list: () => issuers },
      clusterIssuers: { list: () => clusterIssuers },
    },
    counters,
    clock: new FakeClock("2025-02-01T00:00:00Z"),
  });
  return { metrics, certificates, counters };
}

const webLabels = 'name="web",namespace="ns",issuer_name="ca",issuer_kind="",issuer_group=""';

describe("metrics", () => {
  it("exports cert-manager's series from the caches at scrape time", async () => {
    const { metrics } = setup();
    const text = await metrics.registry.metrics();
    const lines = text.split("\n");
    const has = (l: string) => expect(lines).toContain(l);

    has(
      `certmanager_certificate_ready_status{name="web",namespace="ns",condition="True",issuer_name="ca",issuer_kind="",issuer_group=""} 1`,
    );
    has(
      `certmanager_certificate_ready_status{name="web",namespace="ns",condition="False",issuer_name="ca",issuer_kind="",issuer_group=""} 0`,
    );
    has(
      `certmanager_certificate_ready_status{name="web",namespace="ns",condition="Unknown",issuer_name="ca",issuer_kind="",issuer_group=""} 0`,
    );
    // No Ready condition yet: Unknown.
    has(
      `certmanager_certificate_ready_status{name="new",namespace="ns",condition="Unknown",issuer_name="le",issuer_kind="ClusterIssuer",issuer_group="cert-manager.io"} 1`,
    );

    has(`certmanager_certificate_expiration_timestamp_seconds{${webLabels}} 1743465600`);
    has(`certmanager_certificate_not_after_timestamp_seconds{${webLabels}} 1743465600`);
    has(`certmanager_certificate_not_before_timestamp_seconds{${webLabels}} 1735689600`);
    has(`certmanager_certificate_renewal_timestamp_seconds{${webLabels}} 1740873600`);
    has(
      `certmanager_certificate_expiration_timestamp_seconds{name="new",namespace="ns",issuer_name="le",issuer_kind="ClusterIssuer",issuer_group="cert-manager.io"} 0`,
    );

    has(`certmanager_issuer_ready_status{name="ca",namespace="ns",condition="False"} 1`);
    has(`certmanager_issuer_ready_status{name="ca",namespace="ns",condition="True"} 0`);
    has(`certmanager_clusterissuer_ready_status{name="le",condition="Unknown"} 1`);

    has(`certmanager_controller_sync_call_count{controller="certificates-issuing"} 2`);
    has(`certmanager_controller_sync_error_count{controller="certificates-issuing"} 1`);
    has(`certmanager_clock_time_seconds_gauge 1738368000`);
    has("# TYPE certmanager_controller_sync_call_count counter");
    has("# TYPE certmanager_certificate_ready_status gauge");
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it("follows the caches: a deleted Certificate's series disappear, counters grow", async () => {
    const { metrics, certificates, counters } = setup();
    certificates.splice(0, 1);
    counters.recordCall("certificates-issuing");
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('name="web"');
    expect(text).toContain(`certmanager_controller_sync_call_count{controller="certificates-issuing"} 3`);
  });

  it("serves /metrics over HTTP and 404 elsewhere", async () => {
    const { metrics } = setup();
    const server = await metrics.startServer("127.0.0.1", 0);
    try {
      expect(server.port).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      expect(await res.text()).toContain("certmanager_certificate_ready_status");
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
