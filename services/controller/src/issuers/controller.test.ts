import type { ClusterIssuer, Issuer, IssuerSpec } from "@certkeeper/api";
import { objectKey, type Secret } from "@certkeeper/kube";
import { signCertificate } from "@certkeeper/pki";
import { beforeAll, describe, expect, it } from "vitest";
import {
  aClusterIssuer,
  aLeafRequest,
  anIssuer,
  aRootCA,
  aTLSSecret,
  fakeDeps,
  reconcileContext,
  withCA,
  withGeneration,
  withSelfSigned,
  withSpec,
  type KeyPair,
} from "../testing/builders.ts";
import {
  clusterIssuerController,
  decideIssuer,
  issuerController,
  verifyCAKeyPair,
  type ReadyCondition,
} from "./controller.ts";

let root: KeyPair;
let other: KeyPair;
let leafPEM: string;
let leafKeyPEM: string;

beforeAll(async () => {
  root = await aRootCA("issuer test root");
  other = await aRootCA("another root");
  const leaf = await aLeafRequest({ commonName: "not a ca" });
  leafKeyPEM = leaf.keyPEM;
  leafPEM = signCertificate({ csr: leaf.csrPEM, issuerCert: root.certPEM, issuerKey: root.key });
});

describe("decideIssuer", () => {
  const cases: Array<{ name: string; spec: IssuerSpec; want: ReadyCondition | null }> = [
    {
      name: "selfSigned is ready at once, without a message",
      spec: { selfSigned: {} },
      want: { status: "True", reason: "IsReady" },
    },
    {
      name: "no type",
      spec: {},
      want: {
        status: "False",
        reason: "ConfigError",
        message: "Resource validation failed: spec: Required value: at least one issuer must be configured",
      },
    },
    {
      name: "two types",
      spec: { ca: { secretName: "x" }, selfSigned: {} },
      want: {
        status: "False",
        reason: "ConfigError",
        message:
          "Resource validation failed: spec.selfSigned: Forbidden: may not specify more than one issuer type",
      },
    },
    {
      name: "three types",
      spec: {
        acme: { server: "https://acme", privateKeySecretRef: { name: "k" } } as IssuerSpec["acme"],
        ca: { secretName: "x" },
        selfSigned: {},
      },
      want: {
        status: "False",
        reason: "ConfigError",
        message:
          "Resource validation failed: [spec.ca: Forbidden: may not specify more than one issuer type, spec.selfSigned: Forbidden: may not specify more than one issuer type]",
      },
    },
    {
      name: "acme is not ours",
      spec: { acme: { server: "https://acme", privateKeySecretRef: { name: "k" } } as IssuerSpec["acme"] },
      want: null,
    },
    {
      name: "vault is not ours",
      spec: { vault: { server: "https://v", path: "pki/sign/r", auth: {} } },
      want: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const verdict = decideIssuer({ issuer: { kind: "Issuer", issuer: anIssuer(withSpec(c.spec)) } });
      expect(verdict?.condition ?? null).toEqual(c.want);
    });
  }
});

describe("verifyCAKeyPair", () => {
  const ref = (data: Record<string, string> | undefined) => ({
    namespace: "ns",
    name: "ca-kp",
    secret: data ? aTLSSecret("ns", "ca-kp", data) : undefined,
  });
  const cases: Array<{
    name: string;
    data: () => Record<string, string> | undefined;
    want: ReadyCondition | RegExp;
    event: string;
  }> = [
    {
      name: "a CA with its key",
      data: () => ({ "tls.crt": root.certPEM, "tls.key": root.keyPEM }),
      want: { status: "True", reason: "KeyPairVerified", message: "Signing CA verified" },
      event: "Normal",
    },
    {
      name: "Secret missing",
      data: () => undefined,
      want: {
        status: "False",
        reason: "ErrGetKeyPair",
        message: 'Error getting keypair for CA issuer: secret "ca-kp" not found',
      },
      event: "Warning",
    },
    {
      name: "no tls.crt",
      data: () => ({ "tls.key": root.keyPEM }),
      want: {
        status: "False",
        reason: "ErrGetKeyPair",
        message: `Error getting keypair for CA issuer: no data for "tls.crt" in secret 'ns/ca-kp'`,
      },
      event: "Warning",
    },
    {
      name: "no tls.key",
      data: () => ({ "tls.crt": root.certPEM }),
      want: {
        status: "False",
        reason: "ErrGetKeyPair",
        message: `Error getting keypair for CA issuer: no data for "tls.key" in secret 'ns/ca-kp'`,
      },
      event: "Warning",
    },
    {
      name: "garbage tls.crt",
      data: () => ({ "tls.crt": "garbage", "tls.key": root.keyPEM }),
      want: /^Error getting keypair for CA issuer: /,
      event: "Warning",
    },
    {
      name: "not a CA",
      data: () => ({ "tls.crt": leafPEM, "tls.key": leafKeyPEM }),
      want: {
        status: "False",
        reason: "ErrInvalidKeyPair",
        message: "Error getting keypair for CA issuer: certificate is not a CA",
      },
      event: "Warning",
    },
    {
      name: "key of another CA",
      data: () => ({ "tls.crt": root.certPEM, "tls.key": other.keyPEM }),
      want: /^Invalid signing key pair: /,
      event: "Warning",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = verifyCAKeyPair(ref(c.data()));
      if (c.want instanceof RegExp) {
        expect(v.condition.status).toBe("False");
        expect(v.condition.message).toMatch(c.want);
      } else {
        expect(v.condition).toEqual(c.want);
      }
      expect(v.event?.type).toBe(c.event);
    });
  }
});

describe("issuer reconcilers", () => {
  it("CA Issuer: not ready, then ready when the Secret appears; Events and NATS on transitions only", async () => {
    const { deps, writes, recorder, published } = fakeDeps();
    const issuer = anIssuer(withCA("ca-kp"), withGeneration(3));
    deps.caches.issuers.observe(issuer);
    const ctl = issuerController(deps);
    const key = objectKey(issuer);

    await ctl.reconcile(key, reconcileContext(key));
    await ctl.reconcile(key, reconcileContext(key));
    expect(writes).toHaveLength(1);
    const first = writes[0] as Issuer;
    expect(first.status?.conditions).toEqual([
      expect.objectContaining({
        type: "Ready",
        status: "False",
        reason: "ErrGetKeyPair",
        observedGeneration: 3,
      }),
    ]);
    expect(recorder.events.map((e) => `${e.type}/${e.reason}`)).toEqual(["Warning/ErrGetKeyPair"]);
    expect(published.map((p) => `${p.kind}/${p.event}`)).toEqual(["issuer/not-ready"]);

    deps.caches.secrets.full.observe(
      aTLSSecret("ns", "ca-kp", { "tls.crt": root.certPEM, "tls.key": root.keyPEM }),
    );
    await ctl.reconcile(key, reconcileContext(key));
    expect(writes).toHaveLength(2);
    expect((writes[1] as Issuer).status?.conditions).toEqual([
      expect.objectContaining({
        type: "Ready",
        status: "True",
        reason: "KeyPairVerified",
        message: "Signing CA verified",
      }),
    ]);
    expect(recorder.events.map((e) => `${e.type}/${e.reason}`)).toEqual([
      "Warning/ErrGetKeyPair",
      "Normal/KeyPairVerified",
    ]);
    expect(published.map((p) => `${p.kind}/${p.event}`)).toEqual(["issuer/not-ready", "issuer/ready"]);
  });

  it("ClusterIssuer reads its CA Secret from the cluster resource namespace", async () => {
    const { deps, writes } = fakeDeps({ clusterResourceNamespace: "cm" });
    const ci = aClusterIssuer(withCA("ca-kp"));
    deps.caches.clusterIssuers.observe(ci);
    deps.caches.secrets.full.observe(
      aTLSSecret("cm", "ca-kp", { "tls.crt": root.certPEM, "tls.key": root.keyPEM }),
    );
    await clusterIssuerController(deps).reconcile(objectKey(ci), reconcileContext(objectKey(ci)));
    expect((writes[0] as ClusterIssuer).status?.conditions?.[0]).toMatchObject({
      status: "True",
      reason: "KeyPairVerified",
    });
  });

  it("SelfSigned: Ready=True IsReady, no message, no Event", async () => {
    const { deps, writes, recorder, published } = fakeDeps();
    const issuer = anIssuer(withSelfSigned());
    deps.caches.issuers.observe(issuer);
    await issuerController(deps).reconcile(objectKey(issuer), reconcileContext(objectKey(issuer)));
    const cond = (writes[0] as Issuer).status?.conditions?.[0];
    expect(cond).toMatchObject({ type: "Ready", status: "True", reason: "IsReady" });
    expect(cond).not.toHaveProperty("message");
    expect(recorder.events).toEqual([]);
    expect(published.map((p) => p.event)).toEqual(["ready"]);
  });

  it("ACME issuers are left untouched", async () => {
    const { deps, writes } = fakeDeps();
    const issuer = anIssuer(
      withSpec({
        acme: { server: "https://acme", privateKeySecretRef: { name: "k" } } as IssuerSpec["acme"],
      }),
    );
    deps.caches.issuers.observe(issuer);
    await issuerController(deps).reconcile(objectKey(issuer), reconcileContext(objectKey(issuer)));
    expect(writes).toEqual([]);
  });

  it("a Secret change wakes the CA issuers that use it", () => {
    const { deps } = fakeDeps({ clusterResourceNamespace: "cm" });
    deps.caches.issuers.observe(anIssuer(withCA("ca-kp")));
    deps.caches.issuers.observe(anIssuer(withCA("other"), (i) => void (i.metadata.name = "uses-other")));
    deps.caches.clusterIssuers.observe(aClusterIssuer(withCA("ca-kp")));
    const secrets: Secret[] = [aTLSSecret("ns", "ca-kp", {}), aTLSSecret("cm", "ca-kp", {})];
    for (const s of secrets) deps.caches.secrets.full.observe(s);

    const issuerKeys: string[] = [];
    issuerController(deps).watches((k) => issuerKeys.push(k));
    // Issuers replay first (onAdd), then Secrets map to issuers.
    expect(issuerKeys.slice(2)).toEqual(["ns/issuer"]);

    const clusterKeys: string[] = [];
    clusterIssuerController(deps).watches((k) => clusterKeys.push(k));
    expect(clusterKeys.slice(1)).toEqual(["cluster-issuer"]);
  });
});
