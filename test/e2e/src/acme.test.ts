/**
 * ACME end to end, all real parts on loopback: kube-apiserver + etcd, nats-server, Pebble with
 * pebble-challtestsrv as its DNS (every name → 127.0.0.1), two acme-solver processes behind a
 * router that stands in for the ingress, and the controller (with the ACME controllers) in
 * this process. Pebble reuses valid authorizations always (PEBBLE_AUTHZREUSE=100) and offers one
 * alternate chain.
 */
import { createPrivateKey } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type Challenge, type ClusterIssuer } from "@certkeeper/api";
import { containsKeyMaterial } from "@certkeeper/contracts";
import { CoreResources, type Secret } from "@certkeeper/kube";
import { parseCertificate, splitPEMBundle } from "@certkeeper/pki";
import { waitFor } from "@certkeeper/testing";
import { startPebble, type PebbleHandle } from "../../../libs/testing/src/pebble.ts";
import type { ControllerApp } from "../../../services/controller/src/app.ts";
import { accountKeyHash, AccountRegistry } from "../../../services/controller/src/acme/account.ts";
import type { AcmeRequestObservation } from "../../../services/controller/src/acme/metrics.ts";
import {
  allEvents,
  apply,
  createNamespace,
  startControllerInProcess,
  startWorld,
  waitForCertificate,
  type World,
} from "../../integration/src/world.ts";
import {
  certificate,
  httpGet,
  opensslVerify,
  pebbleIssuer,
  Queries,
  ready,
  Router,
  startAcme,
  startSolver,
  type RunningAcme,
  type SolverReplica,
} from "./acme-harness.ts";

const NS = "acme-e2e";
const SELF_CHECK_UA = "certkeeper-e2e-self-check";
const SOLVER_PATH = "/.well-known/acme-challenge/";
const cert = (name: string, dnsNames: string[], issuer?: string) => certificate(NS, name, dnsNames, issuer);

let world: World;
let q: Queries;
let pebble: PebbleHandle;
let router: Router;
let solvers: SolverReplica[] = [];
let app: ControllerApp;
let running: RunningAcme;
let workDir: string;
const observations: AcmeRequestObservation[] = [];
const commandPayloads: string[] = [];
const challengesSeen: Challenge[] = [];
const observed = (action: string, status: string) =>
  observations.some((o) => o.action === action && o.status === status);
const issuerPebble = () => q.get<ClusterIssuer>("ClusterIssuer", "pebble", undefined);
const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) =>
  waitFor(what, probe, { timeoutMs, intervalMs: 100 });

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "ck-acme-e2e-"));
  world = await startWorld();
  q = new Queries(world.client, NS);
  await createNamespace(world.client, NS);
  await createNamespace(world.client, "cert-manager");
  solvers = [
    await startSolver(world.nats.url, workDir, "solver-1"),
    await startSolver(world.nats.url, workDir, "solver-2"),
  ];
  router = new Router(() => solvers.filter((s) => !s.proc.exited()).map((s) => s.port));
  const routerPort = await router.start();
  pebble = await startPebble({ httpPort: routerPort, authzReuse: 100, alternateRoots: 1 });
  // The test runs the ACME controllers itself (startAcme) with short intervals for Pebble.
  app = await startControllerInProcess(world, [], { acme: false });
  running = await startAcme(app, world.nats.url, {
    settings: {
      http01SelfCheckAddress: `127.0.0.1:${routerPort}`,
      http01SelfCheckPasses: 1,
      http01SelfCheckIntervalMs: 100,
      http01SelfCheckTimeoutMs: 2000,
      checkRetryPeriodMs: 1000,
      schedulerIntervalMs: 250,
      orderRequeueMs: 1000,
      userAgent: SELF_CHECK_UA,
    },
    metrics: { observe: (o) => observations.push(o) },
  });
  // Every Challenge ever cached (a create we observed ourselves arrives as an update).
  const seen = (c: Challenge) =>
    void (challengesSeen.some((x) => x.metadata.uid === c.metadata.uid) || challengesSeen.push(c));
  running.acme.deps.caches.challenges.onAdd(seen);
  running.acme.deps.caches.challenges.onUpdate((_o, c) => seen(c));
  running.bus.nc.subscribe("cm.v1.cmd.>", { callback: (_e, m) => void commandPayloads.push(m.string()) });
  await apply(world.client, "ClusterIssuer", pebbleIssuer("pebble", pebble, { email: "Admin@Example.com" }));
}, 300_000);

afterAll(async () => {
  await running?.stop();
  await app?.stop();
  await Promise.all(solvers.map((s) => s.proc.stop(2000)));
  await router?.stop();
  await pebble?.stop();
  await world?.stop();
});

describe("ACME against Pebble", () => {
  it("registers the account: the ClusterIssuer becomes Ready with status.acme", async () => {
    const issuer = await until("ClusterIssuer Ready", async () =>
      ((i) => (ready(i) ? i : undefined))(await issuerPebble()),
    );
    expect(issuer.status!.conditions!.find((c) => c.type === "Ready")).toMatchObject({
      reason: "ACMEAccountRegistered",
      message: "The ACME account was registered with the ACME server",
    });
    expect(issuer.status?.acme?.uri).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect(issuer.status?.acme?.lastRegisteredEmail).toBe("Admin@Example.com");
    const secret = await world.client.get<Secret>(CoreResources.secrets, "cert-manager", "pebble-account");
    expect(secret.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("cert-manager");
    const keyPEM = await q.secretData("pebble-account", "tls.key", "cert-manager");
    expect(keyPEM).toContain("BEGIN RSA PRIVATE KEY");
    expect(issuer.status?.acme?.lastPrivateKeyHash).toBe(accountKeyHash(createPrivateKey(keyPEM)));
    expect(observed("register_account", "201")).toBe(true);
  });

  it("issues a certificate for two names whose chain verifies against Pebble's root", async () => {
    await apply(world.client, "Certificate", cert("two-names", ["a1.example.com", "a2.example.com"]));
    await waitForCertificate(world.client, NS, "two-names", ready, 90_000);
    const chain = splitPEMBundle(await q.secretData("two-names-tls", "tls.crt"));
    const leaf = parseCertificate(chain[0]!);
    expect([...leaf.dnsNames].sort()).toEqual(["a1.example.com", "a2.example.com"]);
    expect(opensslVerify(chain, await pebble.rootPEM(), workDir)).toContain("leaf.pem: OK");
    const status = await pebble.management(`/cert-status-by-serial/${leaf.serialNumber}`);
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body)).toMatchObject({ Status: "Valid" });
    // Valid order ⇒ its Challenges are deleted, and with them the solver Ingresses.
    await until("challenges gone", async () => ((await q.list("Challenge")).length === 0 ? true : undefined));
    expect(await q.ingresses()).toHaveLength(0);
    expect(challengesSeen.filter((c) => c.spec.dnsName.startsWith("a"))).toHaveLength(2);
    expect(router.requestsFor("a1.example.com").some((r) => r.userAgent.includes("Pebble"))).toBe(true);
    const reasons = (await q.events()).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["Presented", "DomainVerified", "Created", "Complete"]));
  });

  it("reuses a still-valid authorization: no Challenge, nothing sent to the name", async () => {
    const since = Date.now();
    const before = challengesSeen.length;
    await apply(world.client, "Certificate", cert("reuse", ["a1.example.com"]));
    await waitForCertificate(world.client, NS, "reuse", ready, 60_000);
    const [order] = await q.ordersOf("reuse");
    expect(order?.status?.authorizations?.map((a) => [a.identifier, a.initialState])).toEqual([
      ["a1.example.com", "valid"],
    ]);
    expect(challengesSeen.slice(before)).toHaveLength(0);
    expect(router.requestsFor("a1.example.com", since)).toHaveLength(0);
  });

  it("survives losing the solver replica that presented the challenge", async () => {
    const host = "kill.example.com";
    router.rule = (h) => (h === host ? "refuse" : "forward");
    await solvers[1]!.proc.stop(2000);
    await apply(world.client, "Certificate", cert("kill", [host]));
    const presented = await until("challenge presented", async () =>
      ((c) => (c?.status?.presented ? c : undefined))(await q.challengeFor(host)),
    );
    const ing = (await q.ingresses("acme.cert-manager.io/http01-solver=true")).find((i) =>
      i.metadata.ownerReferences?.some((o) => o.uid === presented.metadata.uid),
    );
    const backend = { service: { name: "certkeeper-acme-solver", port: { number: 80 } } };
    expect(ing?.spec.rules).toEqual([
      {
        host,
        http: { paths: [{ path: `${SOLVER_PATH}${presented.spec.token}`, pathType: "Exact", backend }] },
      },
    ]);
    // A replica started after the present serves the token; the one that stored it dies.
    solvers[1] = await startSolver(world.nats.url, workDir, "solver-2b");
    solvers[0]!.proc.child.kill("SIGKILL");
    await until("solver-1 gone", async () => (solvers[0]!.proc.exited() ? true : undefined), 5000);
    expect(await httpGet(solvers[1]!.port, `${SOLVER_PATH}${presented.spec.token}`, host)).toEqual({
      status: 200,
      body: presented.spec.key,
    });
    router.rule = () => "forward";
    await waitForCertificate(world.client, NS, "kill", ready, 90_000);
  });

  it("never accepts a challenge whose path 404s locally", async () => {
    const host = "notfound.example.com";
    router.rule = (h) => (h === host ? "404" : "forward");
    await apply(world.client, "Certificate", cert("notfound", [host]));
    const ch = await until("self-check reason", async () =>
      ((c) => (c?.status?.reason ? c : undefined))(await q.challengeFor(host)),
    );
    expect(ch.status?.reason).toBe(
      "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'",
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect((await q.get<Challenge>("Challenge", ch.metadata.name!))?.status?.state).toBe("pending");
    expect(router.requestsFor(host).every((r) => r.userAgent === SELF_CHECK_UA)).toBe(true);
    // Ask the server itself: the challenge was never accepted.
    const registry = new AccountRegistry({
      clusterResourceNamespace: "cert-manager",
      getSecret: (ns, n) => world.client.get<Secret>(CoreResources.secrets, ns, n),
    });
    const client = await registry.clientFor({ kind: "ClusterIssuer", issuer: (await issuerPebble())! });
    expect((await client.getChallenge(ch.spec.url)).status).toBe("pending");
    expect(observations.some((o) => o.action === "accept_challenge" && o.status.startsWith("2"))).toBe(true);
    await world.client.delete(Resources.Certificate, NS, "notfound");
    router.rule = () => "forward";
  });

  it("ends the Order invalid when the server's validation fails, and the Certificate backs off", async () => {
    const host = "invalid.example.com";
    // Our self-check passes; Pebble's validation (User-Agent LetsEncrypt-Pebble-VA) gets a 404.
    router.rule = (h, ua) => (h === host && ua.includes("Pebble") ? "404" : "forward");
    await apply(world.client, "Certificate", cert("invalid", [host]));
    const order = await until("order invalid", async () =>
      (await q.ordersOf("invalid")).find((o) => o.status?.state === "invalid"),
    );
    const failedIssuing = (c: { status?: { conditions?: Array<{ type: string; status: string }> } }) =>
      c.status?.conditions?.some((x) => x.type === "Issuing" && x.status === "False") ?? false;
    const c = await waitForCertificate(world.client, NS, "invalid", failedIssuing, 30_000);
    const issuing = c.status!.conditions!.find((x) => x.type === "Issuing")!;
    expect(issuing.reason).toBe("Failed");
    expect(issuing.message).toContain(
      `The certificate request has failed to complete and will be retried: Failed to wait for order resource "${order.metadata.name}" to become ready: order is in "invalid" state: `,
    );
    expect(c.status?.lastFailureTime).toBeDefined();
    const [cr] = await q.requestsOf("invalid");
    expect(cr?.status?.conditions?.find((x) => x.type === "Ready")).toMatchObject({
      status: "False",
      reason: "Failed",
    });
    const ch = await q.get<Challenge>(
      "Challenge",
      challengesSeen.find((x) => x.spec.dnsName === host)!.metadata.name!,
    );
    expect(ch?.status?.state).toBe("invalid");
    expect(ch?.status?.reason).toMatch(
      /^Error accepting authorization: acme: authorization error for invalid\.example\.com: 403 urn:ietf:params:acme:error:unauthorized: /,
    );
    expect(
      (await q.events()).some(
        (e) => e.reason === "Failed" && e.message?.startsWith("Accepting challenge authorization failed: "),
      ),
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await q.requestsOf("invalid")).toHaveLength(1);
  });

  it("warns on the Order when a wildcard name has only HTTP-01 solvers", async () => {
    await apply(world.client, "Certificate", cert("wild", ["*.wild.example.com"]));
    const event = await until("Solver event", async () =>
      (await q.events()).find((e) => e.reason === "Solver"),
    );
    expect(event.type).toBe("Warning");
    expect(event.message).toBe(
      'Failed to determine a valid solver configuration for the set of domains on the Order: no configured challenge solvers can be used for this challenge: "*.wild.example.com" is a wildcard name, which can only be validated with DNS-01, but the solvers for it are HTTP-01 only',
    );
    expect(challengesSeen.some((c) => c.spec.dnsName === "wild.example.com")).toBe(false);
  });

  it("picks the preferred chain by the issuer CN of its topmost certificate", async () => {
    const altRootCN = parseCertificate(await pebble.rootPEM(1)).subject.commonName;
    expect(parseCertificate(await pebble.rootPEM(0)).subject.commonName).not.toBe(altRootCN);
    await apply(
      world.client,
      "ClusterIssuer",
      pebbleIssuer("pebble-alt", pebble, { preferredChain: altRootCN }),
    );
    await apply(world.client, "Certificate", cert("alt", ["alt.example.com"], "pebble-alt"));
    await waitForCertificate(world.client, NS, "alt", ready, 90_000);
    const chain = splitPEMBundle(await q.secretData("alt-tls", "tls.crt"));
    expect(parseCertificate(chain[chain.length - 1]!).issuer.commonName).toBe(altRootCN);
  });

  it("updates the registration when the email changes, keeping the account", async () => {
    const before = (await issuerPebble())!;
    await apply(world.client, "ClusterIssuer", pebbleIssuer("pebble", pebble, { email: "ops@example.com" }));
    const after = await until("new email registered", async () => {
      const i = await issuerPebble();
      return i?.status?.acme?.lastRegisteredEmail === "ops@example.com" && ready(i) ? i : undefined;
    });
    expect(after.status?.acme?.uri).toBe(before.status?.acme?.uri);
    expect(after.status?.acme?.lastPrivateKeyHash).toBe(before.status?.acme?.lastPrivateKeyHash);
    expect(observed("update_registration", "200")).toBe(true);
  });

  it("puts no key material on NATS", async () => {
    const events = await allEvents(world);
    expect(events.length).toBeGreaterThan(0);
    expect(commandPayloads.length).toBeGreaterThan(0);
    const body = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, "").slice(0, 40);
    const keys = [
      await q.secretData("pebble-account", "tls.key", "cert-manager"),
      await q.secretData("two-names-tls", "tls.key"),
    ].map(body);
    for (const text of [...events.map((e) => JSON.stringify(e)), ...commandPayloads]) {
      expect(containsKeyMaterial(text)).toBe(false);
      for (const k of keys) expect(text).not.toContain(k);
    }
  });
});
