import type { CertificateRequest } from "@certkeeper/api";
import { objectKey } from "@certkeeper/kube";
import { describe, expect, it } from "vitest";
import {
  aCertificateRequest,
  aClusterIssuer,
  anIssuer,
  approved,
  denied,
  fakeDeps,
  reconcileContext,
  withCA,
  withCondition,
  withFailureTime,
  withGeneration,
  withIssuer,
  withIssuerCondition,
  withReady,
  withSpec,
  withStatusCertificate,
} from "../testing/builders.ts";
import type { ResolvedIssuer } from "../issuers/types.ts";
import {
  decideRequest,
  deniedChange,
  outcomeChange,
  pendingChange,
  requestController,
  type RequestStep,
  type Signer,
  type SignOutcome,
} from "./issuer-controller.ts";

const NOW = new Date("2025-06-01T00:00:00Z");
const readyCA: ResolvedIssuer = { kind: "Issuer", issuer: anIssuer(withCA("ca-kp"), withReady()) };
const readySelfSigned: ResolvedIssuer = { kind: "Issuer", issuer: anIssuer(withReady()) };

describe("decideRequest (CA controller)", () => {
  const cases: Array<{
    name: string;
    cr: CertificateRequest;
    issuer: ResolvedIssuer | undefined;
    want: Partial<RequestStep>;
  }> = [
    {
      name: "external issuer group is ignored",
      cr: aCertificateRequest(withIssuer("x", "AWSPCAIssuer", "awspca.cert-manager.io"), approved()),
      issuer: undefined,
      want: { kind: "ignore" },
    },
    {
      name: "issuer of another type is left to its controller",
      cr: aCertificateRequest(approved()),
      issuer: readySelfSigned,
      want: { kind: "ignore" },
    },
    {
      name: "denied wins over everything",
      cr: aCertificateRequest(denied(), approved()),
      issuer: readyCA,
      want: { kind: "deny" },
    },
    {
      name: "invalid request stops",
      cr: aCertificateRequest(approved(), withCondition("InvalidRequest", "True", "Bad")),
      issuer: readyCA,
      want: { kind: "ignore" },
    },
    {
      name: "not approved waits",
      cr: aCertificateRequest(),
      issuer: readyCA,
      want: { kind: "awaitApproval" },
    },
    {
      name: "not approved waits even without issuer",
      cr: aCertificateRequest(),
      issuer: undefined,
      want: { kind: "awaitApproval" },
    },
    {
      name: "issued requests are done",
      cr: aCertificateRequest(approved(), withCondition("Ready", "True", "Issued")),
      issuer: readyCA,
      want: { kind: "ignore" },
    },
    {
      name: "failed requests are done",
      cr: aCertificateRequest(approved(), withCondition("Ready", "False", "Failed")),
      issuer: readyCA,
      want: { kind: "ignore" },
    },
    {
      name: "missing Issuer is pending with cert-manager's message",
      cr: aCertificateRequest(approved(), withIssuer("x")),
      issuer: undefined,
      want: {
        kind: "pending",
        reason: "IssuerNotFound",
        message: 'Referenced "Issuer" not found: issuer.cert-manager.io "x" not found',
      } as RequestStep,
    },
    {
      name: "missing ClusterIssuer is pending",
      cr: aCertificateRequest(approved(), withIssuer("y", "ClusterIssuer", "cert-manager.io")),
      issuer: undefined,
      want: {
        kind: "pending",
        reason: "IssuerNotFound",
        message: 'Referenced "ClusterIssuer" not found: clusterissuer.cert-manager.io "y" not found',
      } as RequestStep,
    },
    {
      name: "issuer without a type is pending",
      cr: aCertificateRequest(approved()),
      issuer: { kind: "Issuer", issuer: anIssuer(withSpec({})) },
      want: {
        kind: "pending",
        reason: "IssuerTypeMissing",
        message: "Missing issuer type: no issuer specified for Issuer 'ns/issuer'",
      } as RequestStep,
    },
    {
      name: "issuer not ready is pending",
      cr: aCertificateRequest(approved()),
      issuer: { kind: "Issuer", issuer: anIssuer(withCA("ca-kp"), withIssuerCondition("False")) },
      want: {
        kind: "pending",
        reason: "IssuerNotReady",
        message: "Referenced issuer does not have a Ready status condition",
      } as RequestStep,
    },
    {
      name: "issuer Ready for an older generation is not ready",
      cr: aCertificateRequest(approved()),
      issuer: {
        kind: "Issuer",
        issuer: anIssuer(
          withCA("ca-kp"),
          withGeneration(2),
          withIssuerCondition("True", "KeyPairVerified", 1),
        ),
      },
      want: { kind: "pending", reason: "IssuerNotReady" } as RequestStep,
    },
    {
      name: "a certificate already in status is not signed again",
      cr: aCertificateRequest(approved(), withStatusCertificate("x")),
      issuer: readyCA,
      want: { kind: "ignore" },
    },
    {
      name: "approved, issuer ready: sign",
      cr: aCertificateRequest(approved()),
      issuer: readyCA,
      want: { kind: "sign" },
    },
    {
      name: "pending requests are retried",
      cr: aCertificateRequest(approved(), withCondition("Ready", "False", "Pending")),
      issuer: readyCA,
      want: { kind: "sign" },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(decideRequest({ cr: c.cr, issuer: c.issuer }, "ca")).toMatchObject(c.want);
    });
  }
});

describe("status changes", () => {
  it("denied: Ready=False Denied with failureTime, kept on repeat", () => {
    const change = deniedChange(aCertificateRequest(denied()), NOW);
    expect(change.status.failureTime).toBe("2025-06-01T00:00:00Z");
    expect(change.status.conditions).toContainEqual(
      expect.objectContaining({
        type: "Ready",
        status: "False",
        reason: "Denied",
        message: "The CertificateRequest was denied by an approval controller",
      }),
    );
    const again = deniedChange(aCertificateRequest(denied(), withFailureTime("2025-01-01T00:00:00Z")), NOW);
    expect(again.status.failureTime).toBe("2025-01-01T00:00:00Z");
  });

  it("pending: Event only when entering Pending", () => {
    expect(pendingChange(aCertificateRequest(), "IssuerNotFound", "m", NOW).events).toEqual([
      { type: "Normal", reason: "IssuerNotFound", message: "m" },
    ]);
    const already = aCertificateRequest(withCondition("Ready", "False", "Pending", "old"));
    const change = pendingChange(already, "IssuerNotReady", "new", NOW);
    expect(change.events).toEqual([]);
    expect(change.status.conditions).toContainEqual(
      expect.objectContaining({ reason: "Pending", message: "new" }),
    );
  });

  it("failed: Warning Event with the cause, Ready reason Failed, failureTime", () => {
    const change = outcomeChange(
      aCertificateRequest(),
      { kind: "failed", reason: "SigningError", message: "boom" },
      NOW,
    );
    expect(change.events).toEqual([{ type: "Warning", reason: "SigningError", message: "boom" }]);
    expect(change.status.failureTime).toBe("2025-06-01T00:00:00Z");
    expect(change.status.conditions).toContainEqual(
      expect.objectContaining({ type: "Ready", status: "False", reason: "Failed" }),
    );
    expect(change.publish).toEqual({ event: "failed", data: { reason: "SigningError", message: "boom" } });
  });

  it("signed but undecodable: Failed DecodeError, certificate kept", () => {
    const change = outcomeChange(
      aCertificateRequest(),
      { kind: "signed", certificatePEM: "not a certificate" },
      NOW,
    );
    expect(change.status.certificate).toBe(Buffer.from("not a certificate").toString("base64"));
    expect(change.status.conditions).toContainEqual(expect.objectContaining({ reason: "Failed" }));
    expect(change.events[0]).toMatchObject({ type: "Warning", reason: "DecodeError" });
    expect(change.events[0]!.message).toMatch(/^Failed to decode returned certificate: /);
  });
});

describe("requestController shell", () => {
  const signed = async (): Promise<SignOutcome> => {
    const { aRootCA } = await import("../testing/builders.ts");
    const root = await aRootCA();
    return { kind: "signed", certificatePEM: root.certPEM, caPEM: root.certPEM };
  };

  it("signs an approved request once: status, Event, NATS", async () => {
    const { deps, writes, recorder, published } = fakeDeps();
    const outcome = await signed();
    let calls = 0;
    const signer: Signer = { sign: async () => (calls++, outcome) };
    deps.caches.issuers.observe(anIssuer(withCA("ca-kp"), withReady()));
    const cr = aCertificateRequest(approved());
    deps.caches.certificateRequests.observe(cr);
    const ctl = requestController(deps, { name: "certificaterequests-issuer-ca", issuerType: "ca", signer });

    await ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)));
    expect(writes).toHaveLength(1);
    const written = writes[0] as CertificateRequest;
    expect(Buffer.from(written.status!.certificate!, "base64").toString()).toBe(
      outcome.kind === "signed" ? outcome.certificatePEM : "",
    );
    expect(written.status!.conditions).toContainEqual(
      expect.objectContaining({
        type: "Ready",
        status: "True",
        reason: "Issued",
        message: "Certificate fetched from issuer successfully",
      }),
    );
    expect(recorder.events.map((e) => e.reason)).toEqual(["CertificateIssued"]);
    expect(published.map((p) => p.event)).toEqual(["signed"]);

    // The write is in the cache (observe): a second reconcile does nothing.
    await ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)));
    expect(calls).toBe(1);
    expect(writes).toHaveLength(1);
  });

  it("a pending outcome with retry writes Pending, then throws for backoff", async () => {
    const { deps, writes } = fakeDeps();
    const signer: Signer = {
      sign: async () => ({
        kind: "pending",
        reason: "SecretGetError",
        message: "x",
        retry: new Error("network down"),
      }),
    };
    deps.caches.clusterIssuers.observe(aClusterIssuer(withCA("ca-kp"), withReady()));
    const cr = aCertificateRequest(approved(), withIssuer("cluster-issuer", "ClusterIssuer"));
    deps.caches.certificateRequests.observe(cr);
    const ctl = requestController(deps, { name: "ca", issuerType: "ca", signer });
    await expect(ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)))).rejects.toThrow(
      "network down",
    );
    expect(writes).toHaveLength(1);
  });

  it("waits for approval with no write, and no Event while the internal approver is on", async () => {
    const { deps, writes, recorder } = fakeDeps();
    deps.caches.issuers.observe(anIssuer(withCA("ca-kp"), withReady()));
    const cr = aCertificateRequest();
    deps.caches.certificateRequests.observe(cr);
    const ctl = requestController(deps, {
      name: "ca",
      issuerType: "ca",
      signer: { sign: () => Promise.reject(new Error("no")) },
    });
    await ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)));
    expect(writes).toHaveLength(0);
    expect(recorder.events).toEqual([]);
  });

  it("waits for approval with an Event and no write when approval is left to others", async () => {
    const { deps, writes, recorder } = fakeDeps();
    (deps.settings as { autoApprove: boolean }).autoApprove = false;
    deps.caches.issuers.observe(anIssuer(withCA("ca-kp"), withReady()));
    const cr = aCertificateRequest();
    deps.caches.certificateRequests.observe(cr);
    const ctl = requestController(deps, {
      name: "ca",
      issuerType: "ca",
      signer: { sign: () => Promise.reject(new Error("no")) },
    });
    await ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)));
    expect(writes).toHaveLength(0);
    expect(recorder.events).toEqual([
      expect.objectContaining({
        type: "Normal",
        reason: "WaitingForApproval",
        message: "Not signing CertificateRequest until it is Approved",
      }),
    ]);
  });

  it("an issuer change wakes the open requests that reference it", () => {
    const { deps } = fakeDeps();
    deps.caches.issuers.observe(anIssuer(withCA("ca-kp"), withReady()));
    deps.caches.clusterIssuers.observe(aClusterIssuer(withCA("ca-kp"), withReady()));
    const open = aCertificateRequest(approved(), (cr) => void (cr.metadata.name = "open"));
    const done = aCertificateRequest(
      approved(),
      withCondition("Ready", "True", "Issued"),
      (cr) => void (cr.metadata.name = "done"),
    );
    const cluster = aCertificateRequest(
      withIssuer("cluster-issuer", "ClusterIssuer"),
      (cr) => void (cr.metadata.name = "cluster"),
    );
    const other = aCertificateRequest(withIssuer("other"), (cr) => void (cr.metadata.name = "other"));
    for (const cr of [open, done, cluster, other]) deps.caches.certificateRequests.observe(cr);
    const ctl = requestController(deps, {
      name: "ca",
      issuerType: "ca",
      signer: { sign: () => Promise.reject(new Error("no")) },
    });
    const keys: string[] = [];
    // onAdd replays the cached objects at registration: requests themselves, then issuers.
    ctl.watches((k) => keys.push(k));
    const fromIssuers = keys.slice(4);
    expect(fromIssuers.sort()).toEqual(["ns/cluster", "ns/open"]);
  });
});
