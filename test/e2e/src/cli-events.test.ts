/**
 * `certkeeper events <kind>/<name>` against a real kube-apiserver (to resolve the UID) and a real
 * nats-server with the CM_EVENTS stream: the timeline after the fact in stream order, --since,
 * -o json, and --follow showing a renewal as it is published. Envelopes are published the way the
 * services publish them (libs/bus EventPublisher), so no controller is needed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources } from "@certkeeper/api";
import { connectBus, ensureEventStream, EventPublisher, type Bus } from "@certkeeper/bus";
import type { ResourceRef } from "@certkeeper/contracts";
import { CoreResources, KubeClient, type KubeObject } from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import {
  startControlPlane,
  freePort,
  startNats,
  waitFor,
  type ControlPlane,
  type NatsServerHandle,
} from "@certkeeper/testing";
import { applyCrds } from "../../../scripts/lib/crds.ts";
import { memoryOutput, run } from "../../../services/cli/src/index.ts";

const NS = "apps";
let cp: ControlPlane;
let nats: NatsServerHandle;
let admin: KubeClient;
let bus: Bus;
let publisher: EventPublisher;
let cert: ResourceRef;

function cli(argv: string[], opts: { env?: Record<string, string>; signal?: AbortSignal } = {}) {
  const io = memoryOutput();
  const done = run([...argv, "--kubeconfig", cp.kubeconfigPath], {
    out: io,
    env: opts.env ?? { CERTKEEPER_NATS_URL: nats.url },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { io, done };
}

async function cliDone(...argv: string[]) {
  const { io, done } = cli(argv);
  const code = await done;
  return { code, stdout: io.stdout, stderr: io.stderr.join("\n") };
}

function publish(
  event: "issuing" | "key-generated" | "request-created" | "issued",
  rv: string,
  data: Record<string, unknown>,
) {
  publisher.publish("certificate", event, { ...cert, resourceVersion: rv }, data);
}

beforeAll(async () => {
  [cp, nats] = await Promise.all([startControlPlane(), startNats()]);
  await applyCrds(cp.kubeConfig());
  admin = new KubeClient(cp.kubeConfig());
  await admin.create(CoreResources.namespaces, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS },
  });
  const created = await admin.create({ ...Resources.Certificate, kind: "Certificate" }, {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: "web", namespace: NS },
    spec: { secretName: "web-tls", dnsNames: ["web.example"], issuerRef: { name: "ca" } },
  } as KubeObject);
  cert = { kind: "Certificate", namespace: NS, name: "web", uid: created.metadata.uid!, generation: 1 };
  bus = await connectBus({ servers: nats.url, name: "test-publisher", logger: silentLogger() });
  await ensureEventStream(bus);
  publisher = new EventPublisher(bus);
  publish("issuing", "10", {
    reason: "DoesNotExist",
    message: "Issuing certificate as Secret does not exist",
  });
  publish("key-generated", "11", { secret: "web-xyz12" });
  publish("request-created", "12", { request: "web-1", revision: 1 });
  publish("issued", "13", { revision: 1, notAfter: "2026-08-01T00:00:00Z" });
  // Another object's events must not show up in web's timeline.
  publisher.publish("certificate", "issued", {
    kind: "Certificate",
    namespace: NS,
    name: "other",
    uid: "other-uid",
    resourceVersion: "1",
  });
  await publisher.flush();
});

afterAll(async () => {
  publisher?.close();
  await bus?.close();
  await admin?.close();
  await nats?.stop();
  await cp?.stop();
});

describe("certkeeper events", () => {
  it("prints a Certificate's lifecycle in order, from the stream, after the fact", async () => {
    const r = await cliDone("events", "certificate/web", "-n", NS);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`Events of Certificate ${NS}/web (uid ${cert.uid}) from CM_EVENTS:`);
    expect(r.stdout.map((l) => l.split(/\s{2,}/).slice(1))).toEqual([
      [
        "certificate.issuing",
        "apps/web",
        'message="Issuing certificate as Secret does not exist" reason=DoesNotExist',
      ],
      ["certificate.key-generated", "apps/web", "secret=web-xyz12"],
      ["certificate.request-created", "apps/web", "request=web-1 revision=1"],
      ["certificate.issued", "apps/web", "notAfter=2026-08-01T00:00:00Z revision=1"],
    ]);
    for (const line of r.stdout) expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z {2}/);
  });

  it("reads by short name, as JSON lines, and only since a point in time", async () => {
    const json = await cliDone("events", "cert/web", "-n", NS, "-o", "json");
    const parsed = json.stdout.map(
      (l) => JSON.parse(l) as { seq: number; subject: string; envelope: { resource: { uid: string } } },
    );
    expect(parsed.map((e) => e.subject)).toEqual(
      ["issuing", "key-generated", "request-created", "issued"].map(
        (e) => `cm.v1.evt.certificate.${cert.uid}.${e}`,
      ),
    );
    expect(parsed.map((e) => e.seq)).toEqual([...parsed.map((e) => e.seq)].sort((a, b) => a - b));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const recent = await cliDone("events", "certificate/web", "-n", NS, "--since", "1s");
    expect(recent).toMatchObject({ code: 0, stdout: [] });
    expect(recent.stderr).toContain("No events found.");
  });

  it("--follow shows a renewal as it happens and ends cleanly on interrupt", async () => {
    const abort = new AbortController();
    const { io, done } = cli(["events", "certificate/web", "-n", NS, "--follow", "--since", "1h"], {
      signal: abort.signal,
    });
    await waitFor("the stored events", async () => (io.stdout.length === 4 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    publish("issuing", "20", {
      reason: "ManuallyTriggered",
      message: "Certificate re-issuance manually triggered",
    });
    publish("issued", "21", { revision: 2 });
    await publisher.flush();
    await waitFor("the renewal", async () => (io.stdout.length === 6 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    expect(io.stdout.slice(4).map((l) => l.split(/\s{2,}/)[1])).toEqual([
      "certificate.issuing",
      "certificate.issued",
    ]);
    expect(io.stdout[4]).toContain("reason=ManuallyTriggered");
    abort.abort();
    expect(await done).toBe(0);
  });

  it("explains what is missing", async () => {
    expect(await cliDone("events", "certificate/nope", "-n", NS)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("Certificate apps/nope not found"),
    });
    const noUrl = cli(["events", "certificate/web", "-n", NS], { env: {} });
    expect(await noUrl.done).toBe(2);
    expect(noUrl.io.stderr[0]).toBe("error: no NATS server: pass --nats-url or set CERTKEEPER_NATS_URL");
    expect(await cliDone("events", "widget/web")).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('unknown kind "widget"'),
    });
    const byUID = await cliDone("events", `uid/${cert.uid}`);
    expect(byUID.stdout).toHaveLength(6);
  });

  it("says at once when no NATS server answers", async () => {
    const port = await freePort(); // nothing listens here
    const down = cli(["events", "certificate/web", "-n", NS], {
      env: { CERTKEEPER_NATS_URL: `nats://127.0.0.1:${port}` },
    });
    expect(await down.done).toBe(1);
    const err = down.io.stderr.join("\n");
    expect(err).toContain(`cannot connect to NATS at nats://127.0.0.1:${port}`);
    // The first attempt's own failure, not the end of a retry loop cut short by a deadline
    // ("... was aborted", after 10 s).
    expect(err).toMatch(/ECONNREFUSED|connection refused|CONNECTION_REFUSED/i);
    expect(err).not.toContain("aborted");
  });
});
