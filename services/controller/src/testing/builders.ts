/**
 * Small object builders for CertificateRequest / Issuer tests:
 * `aCertificateRequest(withIssuer("ca"), withCondition("Approved", "True"))`,
 * `anIssuer(withCA("ca-key-pair"), withReady())`, `aTLSSecret("ns", "name", { "tls.crt": pem })`,
 * plus real key material (a root, an intermediate, an unrelated root) made with @certkeeper/pki.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Annotations,
  Resources,
  type Certificate,
  type CertificateRequest,
  type ClusterIssuer,
  type Issuer,
  type IssuerSpec,
} from "@certkeeper/api";
import {
  FakeClock,
  FULL_CACHE_LABEL,
  Informer,
  MemoryEventRecorder,
  SecretCache,
  type KubeClient,
  type KubeObject,
  type ReconcileContext,
  type Secret,
} from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import { Index, type Caches, type Deps } from "../context.ts";
import {
  buildCSR,
  encodePrivateKey,
  generatePrivateKey,
  signCertificate,
  type PrivateKey,
} from "@certkeeper/pki";

type Mod<T> = (o: T) => void;
type Cond = {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
};

const b64 = (s: string) => Buffer.from(s).toString("base64");
const T0 = "2025-01-01T00:00:00Z";

// ---- CertificateRequests ---------------------------------------------------------------------

export function aCertificateRequest(...mods: Mod<CertificateRequest>[]): CertificateRequest {
  const cr: CertificateRequest = {
    apiVersion: "cert-manager.io/v1",
    kind: "CertificateRequest",
    metadata: { name: "web-1", namespace: "ns", uid: "cr-uid", resourceVersion: "1", generation: 1 },
    spec: { request: "", issuerRef: { name: "issuer" } },
  };
  for (const m of mods) m(cr);
  return cr;
}

export const withIssuer =
  (name: string, kind?: string, group?: string): Mod<CertificateRequest> =>
  (cr) =>
    void (cr.spec.issuerRef = {
      name,
      ...(kind !== undefined ? { kind } : {}),
      ...(group !== undefined ? { group } : {}),
    });

export const withCondition =
  (type: string, status: Cond["status"], reason?: string, message?: string): Mod<CertificateRequest> =>
  (cr) => {
    const conds = (cr.status?.conditions ?? []).filter((c) => c.type !== type);
    // (cast: the schema-derived condition type wrongly makes observedGeneration required)
    conds.push({
      type,
      status,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
      lastTransitionTime: T0,
    } as (typeof conds)[number]);
    cr.status = { ...cr.status, conditions: conds };
  };

export const approved = (): Mod<CertificateRequest> =>
  withCondition("Approved", "True", "cert-manager.io", "approved");
export const denied = (): Mod<CertificateRequest> => withCondition("Denied", "True", "Policy", "no");

export const withCSR =
  (csrPEM: string): Mod<CertificateRequest> =>
  (cr) =>
    void (cr.spec.request = b64(csrPEM));
export const withDuration =
  (d: string): Mod<CertificateRequest> =>
  (cr) =>
    void (cr.spec.duration = d);
export const withIsCA =
  (isCA = true): Mod<CertificateRequest> =>
  (cr) =>
    void (cr.spec.isCA = isCA);
export const withUsages =
  (...u: NonNullable<CertificateRequest["spec"]["usages"]>): Mod<CertificateRequest> =>
  (cr) =>
    void (cr.spec.usages = u);
export const withPrivateKeySecret =
  (name: string): Mod<CertificateRequest> =>
  (cr) =>
    void (cr.metadata.annotations = {
      ...(cr.metadata.annotations ?? {}),
      [Annotations.PrivateKeySecretName]: name,
    });
export const withStatusCertificate =
  (pem: string): Mod<CertificateRequest> =>
  (cr) =>
    void (cr.status = { ...cr.status, certificate: b64(pem) });
export const withFailureTime =
  (t: string): Mod<CertificateRequest> =>
  (cr) =>
    void (cr.status = { ...cr.status, failureTime: t });

// ---- Issuers ---------------------------------------------------------------------------------

type AnyIssuer = Issuer | ClusterIssuer;

export function anIssuer(...mods: Mod<AnyIssuer>[]): Issuer {
  const i: Issuer = {
    apiVersion: "cert-manager.io/v1",
    kind: "Issuer",
    metadata: { name: "issuer", namespace: "ns", uid: "issuer-uid", resourceVersion: "1", generation: 1 },
    spec: { selfSigned: {} },
  };
  for (const m of mods) m(i);
  return i;
}

export function aClusterIssuer(...mods: Mod<AnyIssuer>[]): ClusterIssuer {
  const i: ClusterIssuer = {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name: "cluster-issuer", uid: "ci-uid", resourceVersion: "1", generation: 1 },
    spec: { selfSigned: {} },
  };
  for (const m of mods) m(i);
  return i;
}

export const named =
  (name: string, namespace?: string): Mod<AnyIssuer> =>
  (i) =>
    void (i.metadata = { ...i.metadata, name, ...(namespace !== undefined ? { namespace } : {}) });
export const withSpec =
  (spec: IssuerSpec): Mod<AnyIssuer> =>
  (i) =>
    void (i.spec = spec);
export const withSelfSigned = (crlDistributionPoints?: string[]): Mod<AnyIssuer> =>
  withSpec({ selfSigned: crlDistributionPoints ? { crlDistributionPoints } : {} });
export const withCA = (
  secretName: string,
  extra: Omit<NonNullable<IssuerSpec["ca"]>, "secretName"> = {},
): Mod<AnyIssuer> => withSpec({ ca: { secretName, ...extra } });
export const withGeneration =
  (g: number): Mod<AnyIssuer> =>
  (i) =>
    void (i.metadata.generation = g);
export const withIssuerCondition =
  (
    status: Cond["status"],
    reason = status === "True" ? "KeyPairVerified" : "ErrGetKeyPair",
    observedGeneration?: number,
  ): Mod<AnyIssuer> =>
  (i) =>
    void (i.status = {
      ...i.status,
      conditions: [
        {
          type: "Ready",
          status,
          reason,
          lastTransitionTime: T0,
          ...(observedGeneration !== undefined ? { observedGeneration } : {}),
        },
      ] as NonNullable<NonNullable<AnyIssuer["status"]>["conditions"]>,
    });
export const withReady = (): Mod<AnyIssuer> => (i) =>
  withIssuerCondition("True", "IsReady", i.metadata.generation)(i);

// ---- Secrets ---------------------------------------------------------------------------------

export function aTLSSecret(namespace: string, name: string, data: Record<string, string>): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    // Labelled so that it lands in the full Secret cache (what the controller writes carries it).
    metadata: { name, namespace, resourceVersion: "1", labels: { [FULL_CACHE_LABEL]: "true" } },
    type: "kubernetes.io/tls",
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

// ---- key material ----------------------------------------------------------------------------

export interface KeyPair {
  key: PrivateKey;
  keyPEM: string;
  certPEM: string;
}

async function newKey(): Promise<PrivateKey> {
  return generatePrivateKey({ algorithm: "ECDSA", size: 256 });
}

/** A self-signed root CA. */
export async function aRootCA(commonName = "certkeeper test root", notBefore = new Date()): Promise<KeyPair> {
  const key = await newKey();
  const csr = buildCSR({ commonName, isCA: true }, key);
  const certPEM = signCertificate({ csr, issuerKey: key, isCA: true, notBefore, duration: 365 * 86_400_000 });
  return { key, keyPEM: encodePrivateKey(key, "PKCS8"), certPEM };
}

/** A CA signed by `parent`. */
export async function anIntermediateCA(
  parent: KeyPair,
  commonName = "certkeeper test intermediate",
  notBefore = new Date(),
): Promise<KeyPair> {
  const key = await newKey();
  const csr = buildCSR({ commonName, isCA: true }, key);
  const certPEM = signCertificate({
    csr,
    issuerCert: parent.certPEM,
    issuerKey: parent.key,
    isCA: true,
    notBefore,
    duration: 180 * 86_400_000,
  });
  return { key, keyPEM: encodePrivateKey(key, "PKCS8"), certPEM };
}

/** A fresh leaf key and a CSR for it. */
export async function aLeafRequest(
  spec: { commonName?: string; dnsNames?: string[]; isCA?: boolean } = { dnsNames: ["web.example.com"] },
) {
  const key = await newKey();
  return { key, keyPEM: encodePrivateKey(key, "PKCS8"), csrPEM: buildCSR(spec, key) };
}

// ---- caches ----------------------------------------------------------------------------------

/**
 * Informers that are never started: tests fill them with observe(). The client is never called
 * (SecretCache.getSecret only goes live for Secrets known to the metadata cache).
 */
export function emptyCaches(client = {} as KubeClient): Caches {
  return {
    certificates: new Informer<Certificate>({ client, resource: Resources.Certificate }),
    certificateRequests: new Informer<CertificateRequest>({
      client,
      resource: Resources.CertificateRequest,
      indexers: {
        [Index.issuer]: (cr) => {
          const kind = cr.spec.issuerRef.kind || "Issuer";
          return [
            kind === "ClusterIssuer"
              ? `ClusterIssuer//${cr.spec.issuerRef.name}`
              : `Issuer/${cr.metadata.namespace}/${cr.spec.issuerRef.name}`,
          ];
        },
      },
    }),
    issuers: new Informer<Issuer>({ client, resource: Resources.Issuer }),
    clusterIssuers: new Informer<ClusterIssuer>({ client, resource: Resources.ClusterIssuer }),
    secrets: new SecretCache({ client }),
  };
}

// ---- deps ------------------------------------------------------------------------------------

export interface Published {
  kind: string;
  event: string;
  name: string | undefined;
  data: Record<string, unknown> | undefined;
}

/**
 * Deps over never-started caches and a client that only answers status writes (bumping the
 * resourceVersion, as the API server does). For the I/O shells of the reconcilers; pure
 * decisions are tested without any of this.
 */
export function fakeDeps(opts: { now?: string; clusterResourceNamespace?: string } = {}) {
  const writes: KubeObject[] = [];
  let rv = 100;
  const client = {
    async updateStatus<T extends KubeObject>(_rt: unknown, obj: T): Promise<T> {
      const written = structuredClone({
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: String(++rv) },
      }) as T;
      writes.push(written);
      return written;
    },
  } as unknown as KubeClient;
  const recorder = new MemoryEventRecorder();
  const published: Published[] = [];
  const clock = new FakeClock(opts.now ?? "2025-06-01T00:00:00Z");
  const deps: Deps = {
    client,
    caches: emptyCaches(client),
    clock,
    recorder,
    lifecycle: {
      publish: (kind, event, obj, data) =>
        void published.push({ kind, event, name: obj.metadata.name, data }),
    },
    log: silentLogger(),
    settings: {
      clusterResourceNamespace: opts.clusterResourceNamespace ?? "cert-manager",
      minBackoffMs: 3_600_000,
      maxBackoffMs: 32 * 3_600_000,
      fieldManager: "test",
      enableCertificateOwnerRef: false,
      autoApprove: true,
    },
  };
  return { deps, writes, recorder, published, clock };
}

/** A ReconcileContext for calling a Reconcile directly. */
export function reconcileContext(key: string): ReconcileContext {
  return { controller: "test", key, log: silentLogger(), attempt: 0, signal: new AbortController().signal };
}

// ---- openssl ---------------------------------------------------------------------------------

/**
 * Runs the real `openssl verify` of `leafPEM` against `rootPEM` as the only trust anchor, with
 * `untrustedPEM` as intermediates. Returns openssl's exit status and output.
 */
export function opensslVerify(
  rootPEM: string,
  leafPEM: string,
  untrustedPEM?: string,
): { status: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "ck-verify-"));
  try {
    writeFileSync(join(dir, "root.pem"), rootPEM);
    writeFileSync(join(dir, "leaf.pem"), leafPEM);
    const args = ["verify", "-CAfile", join(dir, "root.pem")];
    if (untrustedPEM) {
      writeFileSync(join(dir, "untrusted.pem"), untrustedPEM);
      args.push("-untrusted", join(dir, "untrusted.pem"));
    }
    args.push(join(dir, "leaf.pem"));
    const r = spawnSync("openssl", args, { encoding: "utf8", timeout: 30_000 });
    return { status: r.status ?? -1, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl x509 -text` of one certificate, for asserting on extensions. */
export function opensslText(pem: string): string {
  const r = spawnSync("openssl", ["x509", "-noout", "-text"], {
    input: pem,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`openssl x509 failed: ${r.stderr}`);
  return r.stdout;
}

/** The PEM blocks of a bundle, in order. */
export function pemBlocks(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
}
