/**
 * The chart, rendered offline by the real helm: lint, and the shape of what `helm template`
 * produces with default values and with every service scaled to 3 (Deployments, replicas, pod
 * security, least-privilege RBAC, webhook configurations, NATS users). The RBAC is proven against
 * a real API server in rbac.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, beforeAll } from "vitest";
import { valuesSchemaFiles } from "../../../scripts/gen-values-schema.ts";
import { CHART_DIR, find, helm, HelmError, REPO_ROOT, renderChart, type Manifest } from "./helm.ts";

const RELEASE = "certkeeper";
const NS = "certkeeper";
const SERVICES = ["controller", "webhook", "cainjector", "acme-solver"] as const;
const SCALED = {
  replicaCount: 3,
  podDisruptionBudget: { enabled: true },
  webhook: { replicaCount: 3, podDisruptionBudget: { enabled: true } },
  cainjector: { replicaCount: 3, podDisruptionBudget: { enabled: true } },
  acmeSolver: { replicaCount: 3, podDisruptionBudget: { enabled: true, maxUnavailable: 1 } },
};

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Container = { securityContext?: Record<string, unknown>; env?: { name: string }[]; args?: string[] };
type PodSpec = {
  containers: Container[];
  securityContext?: Record<string, unknown>;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
};

const podSpec = (m: Manifest) => (m.spec as { template: { spec: PodSpec } }).template.spec;
const rules = (m: Manifest) => (m.rules as Rule[] | undefined) ?? [];

/** Every rule bound to a ServiceAccount, through (Cluster)RoleBindings, with where it applies. */
function rulesOf(docs: Manifest[], sa: string): { scope: string; rule: Rule }[] {
  const out: { scope: string; rule: Rule }[] = [];
  for (const b of docs.filter((d) => d.kind === "RoleBinding" || d.kind === "ClusterRoleBinding")) {
    const subjects = b.subjects as { kind: string; name: string }[];
    if (!subjects.some((s) => s.kind === "ServiceAccount" && s.name === sa)) continue;
    const ref = b.roleRef as { kind: string; name: string };
    const role = find(docs, ref.kind, ref.name);
    const scope = b.kind === "ClusterRoleBinding" ? "cluster" : (b.metadata.namespace ?? "");
    for (const rule of rules(role)) out.push({ scope, rule });
  }
  return out;
}

describe("helm lint", () => {
  it("passes with default values and with every service scaled to 3", async () => {
    await expect(helm(["lint", CHART_DIR, "--strict"])).resolves.toContain(
      "1 chart(s) linted, 0 chart(s) failed",
    );
    const set = "replicaCount=3,webhook.replicaCount=3,cainjector.replicaCount=3,acmeSolver.replicaCount=3";
    await expect(helm(["lint", CHART_DIR, "--strict", "--set", set])).resolves.toContain("0 chart(s) failed");
  });
});

describe("values.schema.json", () => {
  it("is what scripts/gen-values-schema.ts makes of the services' config schemas (run pnpm gen)", async () => {
    const [file] = await valuesSchemaFiles();
    expect(readFileSync(join(REPO_ROOT, file!.path), "utf8")).toBe(file!.content);
  });
});

describe("helm template, default values", () => {
  let docs: Manifest[];
  beforeAll(async () => {
    docs = await renderChart({}, { release: RELEASE, namespace: NS });
  });

  it("renders one Deployment and ServiceAccount per service, one replica each, and no CRDs", () => {
    const deployments = docs.filter((d) => d.kind === "Deployment").map((d) => d.metadata.name);
    expect(deployments.sort()).toEqual(SERVICES.map((s) => `${RELEASE}-${s}`).sort());
    for (const s of SERVICES) {
      const d = find(docs, "Deployment", `${RELEASE}-${s}`);
      expect((d.spec as { replicas: number }).replicas).toBe(1);
      expect(podSpec(d).serviceAccountName).toBe(`${RELEASE}-${s}`);
      find(docs, "ServiceAccount", `${RELEASE}-${s}`);
    }
    expect(docs.filter((d) => d.kind === "CustomResourceDefinition")).toEqual([]);
    expect(docs.filter((d) => d.kind === "PodDisruptionBudget")).toEqual([]);
    expect(docs.filter((d) => d.kind === "ServiceMonitor")).toEqual([]);
  });

  it("runs every pod non-root, read-only, without privilege escalation or capabilities", () => {
    const workloads = docs.filter((d) => d.kind === "Deployment" || d.kind === "StatefulSet");
    expect(workloads).toHaveLength(5);
    for (const w of workloads) {
      const spec = podSpec(w);
      expect(spec.securityContext, w.metadata.name).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(spec.hostNetwork ?? false).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext, w.metadata.name).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        });
      }
    }
  });

  it("gives the acme-solver no Kubernetes access at all", () => {
    const sa = `${RELEASE}-acme-solver`;
    expect(rulesOf(docs, sa)).toEqual([]);
    expect(podSpec(find(docs, "Deployment", sa)).automountServiceAccountToken).toBe(false);
    expect(find(docs, "ServiceAccount", sa).automountServiceAccountToken).toBe(false);
  });

  it("lets the webhook touch only its own CA Secret, in its own namespace", () => {
    const bound = rulesOf(docs, `${RELEASE}-webhook`);
    const secretRules = bound.filter(({ rule }) => rule.resources.includes("secrets"));
    expect(secretRules.every(({ scope }) => scope === NS)).toBe(true);
    for (const { rule } of secretRules) {
      if (rule.resourceNames) expect(rule.resourceNames).toEqual([`${RELEASE}-webhook-ca`]);
      else expect(rule.verbs).toEqual(["create"]);
    }
    const cluster = bound.filter(({ scope }) => scope === "cluster").map(({ rule }) => rule);
    expect(cluster).toEqual([
      { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
    ]);
  });

  it("gives the cainjector read access to CA sources and write access to the four injectable kinds only", () => {
    const bound = rulesOf(docs, `${RELEASE}-cainjector`).map(({ rule }) => rule);
    const writes = bound.filter((r) =>
      r.verbs.some((v) => ["create", "update", "patch", "delete"].includes(v)),
    );
    const written = writes.flatMap((r) => r.resources).sort();
    expect(written).toEqual(
      [
        "apiservices",
        "customresourcedefinitions",
        "events",
        "leases",
        "leases",
        "mutatingwebhookconfigurations",
        "validatingwebhookconfigurations",
      ].sort(),
    );
    const secretVerbs = bound.filter((r) => r.resources.includes("secrets")).flatMap((r) => r.verbs);
    expect(secretVerbs.sort()).toEqual(["get", "list", "watch"]);
  });

  it("grants the controller the cert-manager kinds, their status, Secrets and approval of its signers", () => {
    const bound = rulesOf(docs, `${RELEASE}-controller`).map(({ rule }) => rule);
    const allows = (group: string, resource: string, verb: string) =>
      bound.some(
        (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
      );
    expect(allows("cert-manager.io", "certificaterequests", "create")).toBe(true);
    expect(allows("cert-manager.io", "certificates/status", "update")).toBe(true);
    expect(allows("acme.cert-manager.io", "challenges/finalizers", "update")).toBe(true);
    expect(allows("", "secrets", "create")).toBe(true);
    // Replicas share work through NATS KV membership, not a Lease.
    expect(allows("coordination.k8s.io", "leases", "create")).toBe(false);
    expect(allows("", "pods", "create")).toBe(false);
    const approve = bound.find((r) => r.resources.includes("signers"));
    expect(approve).toEqual({
      apiGroups: ["cert-manager.io"],
      resources: ["signers"],
      verbs: ["approve"],
      resourceNames: ["issuers.cert-manager.io/*", "clusterissuers.cert-manager.io/*"],
    });
  });

  it("annotates both webhook configurations for CA injection and fails closed", () => {
    for (const kind of ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"]) {
      const cfg = find(docs, kind, `${RELEASE}-webhook`);
      expect(cfg.metadata.annotations?.["cert-manager.io/inject-ca-from-secret"]).toBe(
        `${NS}/${RELEASE}-webhook-ca`,
      );
      const [hook] = cfg.webhooks as Record<string, unknown>[];
      expect(hook).toMatchObject({
        failurePolicy: "Fail",
        sideEffects: "None",
        timeoutSeconds: 30,
        admissionReviewVersions: ["v1"],
        clientConfig: { service: { name: `${RELEASE}-webhook`, namespace: NS, port: 443 } },
      });
    }
    const [validating] = find(docs, "ValidatingWebhookConfiguration", `${RELEASE}-webhook`).webhooks as {
      namespaceSelector: unknown;
    }[];
    expect(validating!.namespaceSelector).toEqual({
      matchExpressions: [{ key: "cert-manager.io/disable-validation", operator: "NotIn", values: ["true"] }],
    });
    const svc = find(docs, "Service", `${RELEASE}-webhook`).spec as {
      ports: { name: string; port: number; targetPort: string }[];
    };
    expect(svc.ports).toContainEqual({ name: "https", port: 443, targetPort: "https", protocol: "TCP" });
    const webhook = podSpec(find(docs, "Deployment", `${RELEASE}-webhook`)).containers[0] as Container & {
      ports: { name: string; containerPort: number }[];
    };
    expect(webhook.ports).toContainEqual({ name: "https", containerPort: 10250, protocol: "TCP" });
  });

  it("gives each service its own NATS credentials from its own Secret", () => {
    for (const [s, prefix] of [
      ["controller", "CERTKEEPER_CONTROLLER"],
      ["webhook", "CERTKEEPER_WEBHOOK"],
      ["cainjector", "CERTKEEPER_CAINJECTOR"],
      ["acme-solver", "CERTKEEPER_ACME_SOLVER"],
    ] as const) {
      const env = podSpec(find(docs, "Deployment", `${RELEASE}-${s}`)).containers[0]!.env as {
        name: string;
        value?: string;
        valueFrom?: { secretKeyRef?: { name: string; key: string } };
      }[];
      expect(env.find((e) => e.name === `${prefix}_NATS_URL`)?.value).toBe(
        `nats://${RELEASE}-nats.${NS}.svc:4222`,
      );
      expect(env.find((e) => e.name === `${prefix}_NATS_PASSWORD`)?.valueFrom?.secretKeyRef).toEqual({
        name: `${RELEASE}-nats-${s}`,
        key: "password",
      });
      find(docs, "Secret", `${RELEASE}-nats-${s}`);
    }
    find(docs, "StatefulSet", `${RELEASE}-nats`);
  });
});

describe("helm template, every service scaled to 3", () => {
  it("renders 3 replicas and a PodDisruptionBudget per service", async () => {
    const docs = await renderChart(SCALED, { release: RELEASE, namespace: NS });
    for (const s of SERVICES) {
      expect((find(docs, "Deployment", `${RELEASE}-${s}`).spec as { replicas: number }).replicas).toBe(3);
      const pdb = find(docs, "PodDisruptionBudget", `${RELEASE}-${s}`).spec as Record<string, unknown>;
      expect(pdb).toEqual(
        s === "acme-solver"
          ? { selector: expect.anything(), maxUnavailable: 1 }
          : { selector: expect.anything(), minAvailable: 1 },
      );
    }
  });
});

describe("helm template, options", () => {
  it("installs the CRDs kept on uninstall when crds.enabled", async () => {
    const docs = await renderChart({ crds: { enabled: true } });
    const crds = docs.filter((d) => d.kind === "CustomResourceDefinition");
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      "certificaterequests.cert-manager.io",
      "certificates.cert-manager.io",
      "challenges.acme.cert-manager.io",
      "clusterissuers.cert-manager.io",
      "issuers.cert-manager.io",
      "orders.acme.cert-manager.io",
    ]);
    for (const c of crds) expect(c.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
  });

  it("passes config as flags, renders ServiceMonitors, and calls an external webhook URL", async () => {
    const docs = await renderChart({
      config: { concurrentWorkers: 10, kubeApiQps: 20.5, sharding: false },
      extraArgs: ["--extra"],
      prometheus: { servicemonitor: { enabled: true } },
      webhook: { url: { host: "127.0.0.1:9443" } },
      disableAutoApproval: true,
    });
    expect(podSpec(find(docs, "Deployment", `${RELEASE}-controller`)).containers[0]!.args).toEqual([
      "--concurrent-workers=10",
      "--kube-api-qps=20.5",
      "--sharding=false",
      "--extra",
    ]);
    expect(
      docs
        .filter((d) => d.kind === "ServiceMonitor")
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(["cainjector", "controller", "webhook"].map((s) => `${RELEASE}-${s}`));
    const [hook] = find(docs, "MutatingWebhookConfiguration", `${RELEASE}-webhook`).webhooks as Record<
      string,
      unknown
    >[];
    expect(hook!.clientConfig).toEqual({ url: "https://127.0.0.1:9443/mutate" });
    expect(docs.some((d) => d.metadata.name === `${RELEASE}-controller-approve`)).toBe(false);
  });

  it("rejects unknown or mistyped service settings through the generated values schema", async () => {
    const err = await renderChart({ config: { concurrentWorkers: "many", bogus: 1 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HelmError);
    expect((err as HelmError).stderr).toMatch(/concurrentWorkers/);
    expect((err as HelmError).stderr).toMatch(/bogus/);
  });

  it("requires nats.url and credentials for an external NATS", async () => {
    const err = await renderChart({ nats: { enabled: false } }).catch((e: unknown) => e);
    expect((err as HelmError).stderr).toMatch(/nats.url is required/);
    const docs = await renderChart({
      nats: {
        enabled: false,
        url: "nats://nats.example:4222",
        auth: {
          users: {
            controller: { password: "c" },
            webhook: { existingSecret: "wh-nats" },
            cainjector: { password: "i" },
            acmeSolver: { password: "a" },
            viewer: { enabled: false },
          },
        },
      },
    });
    expect(docs.some((d) => d.kind === "StatefulSet")).toBe(false);
    const env = podSpec(find(docs, "Deployment", `${RELEASE}-webhook`)).containers[0]!.env as {
      name: string;
      valueFrom?: { secretKeyRef?: { name: string } };
    }[];
    expect(env.find((e) => e.name === "CERTKEEPER_WEBHOOK_NATS_USER")?.valueFrom?.secretKeyRef?.name).toBe(
      "wh-nats",
    );
  });
});
