/**
 * The RBAC proof: `helm install` into a real kube-apiserver, a token per ServiceAccount from the
 * TokenRequest API, then each identity asks the API server what it may do (SelfSubjectAccessReview,
 * what `kubectl auth can-i` sends) and tries a few real requests. Allowed and denied are both
 * asserted: least privilege means the denials matter as much as the grants.
 */
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AuthorizationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane, type Identity } from "@certkeeper/testing";
import { installChart, type InstalledChart, type ServiceName } from "./install.ts";

const run = promisify(execFile);

interface Attrs {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  /** "" = all namespaces (cluster-wide). */
  namespace?: string;
  name?: string;
}

async function can(id: Identity, a: Attrs): Promise<boolean> {
  const api = id.kubeConfig().makeApiClient(AuthorizationV1Api);
  const res = await api.createSelfSubjectAccessReview({
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes: { group: "", ...a } },
    },
  });
  return res.status?.allowed === true;
}

const describeAttrs = (a: Attrs) =>
  `${a.verb} ${a.group ? `${a.resource}.${a.group}` : a.resource}${a.subresource ? `/${a.subresource}` : ""}` +
  `${a.name ? ` ${a.name}` : ""} in ${a.namespace === "" ? "all namespaces" : (a.namespace ?? "cluster")}`;

let cp: ControlPlane;
let chart: InstalledChart;
let ns: string;

beforeAll(async () => {
  cp = await startControlPlane();
  chart = await installChart(cp);
  ns = chart.namespace;
});

afterAll(async () => {
  await cp?.stop();
});

const CM = "cert-manager.io";
const ACME = "acme.cert-manager.io";

/** [identity, attributes, expected]; namespaces are filled in once the chart is installed. */
function table(): [ServiceName, Attrs, boolean][] {
  const caSecret = chart.webhookCASecret;
  return [
    // controller: the cert-manager kinds and their status, Secrets, Events, HTTP-01 routing, approval.
    [
      "controller",
      { verb: "create", group: CM, resource: "certificaterequests", namespace: "default" },
      true,
    ],
    [
      "controller",
      { verb: "update", group: CM, resource: "certificates", subresource: "status", namespace: "default" },
      true,
    ],
    [
      "controller",
      {
        verb: "update",
        group: CM,
        resource: "certificaterequests",
        subresource: "status",
        namespace: "apps",
      },
      true,
    ],
    ["controller", { verb: "list", group: CM, resource: "clusterissuers" }, true],
    [
      "controller",
      {
        verb: "update",
        group: ACME,
        resource: "challenges",
        subresource: "finalizers",
        namespace: "default",
      },
      true,
    ],
    ["controller", { verb: "create", resource: "secrets", namespace: "default" }, true],
    ["controller", { verb: "watch", resource: "secrets", namespace: "" }, true],
    ["controller", { verb: "create", resource: "events", namespace: "default" }, true],
    [
      "controller",
      { verb: "create", group: "networking.k8s.io", resource: "ingresses", namespace: "default" },
      true,
    ],
    [
      "controller",
      { verb: "approve", group: CM, resource: "signers", name: "issuers.cert-manager.io/*" },
      true,
    ],
    ["controller", { verb: "approve", group: CM, resource: "signers", name: "example.com/my-signer" }, false],
    // Replicas share work through NATS KV membership: no Lease.
    [
      "controller",
      { verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system" },
      false,
    ],
    ["controller", { verb: "create", resource: "pods", namespace: "default" }, false],
    [
      "controller",
      { verb: "update", group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations" },
      false,
    ],
    [
      "controller",
      { verb: "create", group: "rbac.authorization.k8s.io", resource: "clusterrolebindings" },
      false,
    ],
    // webhook: SubjectAccessReviews and its own CA Secret, nothing more.
    ["webhook", { verb: "create", group: "authorization.k8s.io", resource: "subjectaccessreviews" }, true],
    ["webhook", { verb: "get", resource: "secrets", namespace: ns, name: caSecret }, true],
    ["webhook", { verb: "update", resource: "secrets", namespace: ns, name: caSecret }, true],
    ["webhook", { verb: "watch", resource: "secrets", namespace: ns, name: caSecret }, true],
    ["webhook", { verb: "create", resource: "secrets", namespace: ns }, true],
    ["webhook", { verb: "list", resource: "secrets", namespace: "" }, false],
    ["webhook", { verb: "list", resource: "secrets", namespace: ns }, false],
    ["webhook", { verb: "get", resource: "secrets", namespace: ns, name: "someone-elses-secret" }, false],
    ["webhook", { verb: "get", resource: "secrets", namespace: "default", name: caSecret }, false],
    ["webhook", { verb: "create", group: CM, resource: "certificates", namespace: "default" }, false],
    [
      "webhook",
      {
        verb: "update",
        group: CM,
        resource: "certificaterequests",
        subresource: "status",
        namespace: "default",
      },
      false,
    ],
    // cainjector: read CA sources, patch the four injectable kinds.
    ["cainjector", { verb: "list", group: CM, resource: "certificates", namespace: "" }, true],
    ["cainjector", { verb: "watch", resource: "secrets", namespace: "" }, true],
    [
      "cainjector",
      { verb: "patch", group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations" },
      true,
    ],
    [
      "cainjector",
      { verb: "update", group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations" },
      true,
    ],
    [
      "cainjector",
      { verb: "patch", group: "apiextensions.k8s.io", resource: "customresourcedefinitions" },
      true,
    ],
    ["cainjector", { verb: "patch", group: "apiregistration.k8s.io", resource: "apiservices" }, true],
    [
      "cainjector",
      {
        verb: "update",
        group: "coordination.k8s.io",
        resource: "leases",
        namespace: "kube-system",
        name: "cert-manager-cainjector-leader-election",
      },
      true,
    ],
    ["cainjector", { verb: "create", resource: "secrets", namespace: "default" }, false],
    ["cainjector", { verb: "update", resource: "secrets", namespace: ns }, false],
    [
      "cainjector",
      { verb: "delete", group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations" },
      false,
    ],
    ["cainjector", { verb: "create", group: CM, resource: "certificates", namespace: "default" }, false],
    // acme-solver: nothing in Kubernetes, Secrets least of all.
    ["acmeSolver", { verb: "get", resource: "secrets", namespace: ns, name: caSecret }, false],
    ["acmeSolver", { verb: "list", resource: "secrets", namespace: "" }, false],
    ["acmeSolver", { verb: "list", resource: "secrets", namespace: ns }, false],
    ["acmeSolver", { verb: "get", group: CM, resource: "certificates", namespace: "default" }, false],
    ["acmeSolver", { verb: "get", group: ACME, resource: "challenges", namespace: "default" }, false],
    ["acmeSolver", { verb: "list", resource: "pods", namespace: ns }, false],
  ];
}

describe("RBAC of each service's ServiceAccount, asked of the API server", () => {
  it("allows and denies exactly what each service needs", async () => {
    const wrong: string[] = [];
    for (const [service, attrs, expected] of table()) {
      const allowed = await can(chart.identities[service], attrs);
      if (allowed !== expected) {
        wrong.push(`${service}: ${describeAttrs(attrs)} should be ${expected ? "allowed" : "denied"}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("gives the acme-solver no rules beyond what every authenticated user has", async () => {
    const api = chart.identities.acmeSolver.kubeConfig().makeApiClient(AuthorizationV1Api);
    const review = await api.createSelfSubjectRulesReview({
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectRulesReview",
        spec: { namespace: ns },
      },
    });
    const groups = new Set((review.status?.resourceRules ?? []).flatMap((r) => r.apiGroups ?? []));
    // system:basic-user lets anyone ask what they may do (self reviews): nothing else.
    expect([...groups].sort()).toEqual(["authentication.k8s.io", "authorization.k8s.io"]);
  });
});

describe("real requests under each identity", () => {
  it("the controller creates a Secret; the webhook cannot list Secrets; the acme-solver cannot read one", async () => {
    const asController = chart.identities.controller.kubeConfig().makeApiClient(CoreV1Api);
    await asController.createNamespacedSecret({
      namespace: "default",
      body: { metadata: { name: "rbac-proof" }, stringData: { "tls.crt": "x" } },
    });

    const asWebhook = chart.identities.webhook.kubeConfig().makeApiClient(CoreV1Api);
    await expect(asWebhook.listSecretForAllNamespaces()).rejects.toMatchObject({ code: 403 });
    await expect(asWebhook.listNamespacedSecret({ namespace: ns })).rejects.toMatchObject({ code: 403 });

    const asSolver = chart.identities.acmeSolver.kubeConfig().makeApiClient(CoreV1Api);
    await expect(
      asSolver.readNamespacedSecret({ name: "rbac-proof", namespace: "default" }),
    ).rejects.toMatchObject({
      code: 403,
    });
  });

  it("`kubectl auth can-i` agrees, as a user would type it", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "ck-kubectl-"));
    const canI = async (id: Identity, ...args: string[]): Promise<string> => {
      const res = await run("kubectl", [
        "auth",
        "can-i",
        ...args,
        "--kubeconfig",
        id.kubeconfigPath,
        "--cache-dir",
        cacheDir,
      ]).catch((err: { stdout?: string; code?: number }) => {
        if (err.code === 1 && err.stdout) return { stdout: err.stdout };
        throw err;
      });
      return res.stdout.trim();
    };
    expect(await canI(chart.identities.webhook, "list", "secrets", "--all-namespaces")).toBe("no");
    expect(await canI(chart.identities.acmeSolver, "get", "secrets", "-n", ns)).toBe("no");
    expect(
      await canI(
        chart.identities.controller,
        "create",
        "certificaterequests.cert-manager.io",
        "-n",
        "default",
      ),
    ).toBe("yes");
  });

  it("hands back the NATS users and credentials the chart configured", () => {
    expect(chart.nats?.users.map((u) => u.user).sort()).toEqual(
      ["acme-solver", "cainjector", "controller", "viewer", "webhook"].map((s) => `certkeeper-${s}`),
    );
    for (const service of ["controller", "webhook", "cainjector", "acmeSolver", "viewer"] as const) {
      const cred = chart.nats?.credentials[service];
      expect(cred?.pass).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(chart.nats?.users.find((u) => u.user === cred?.user)?.pass).toBe(cred?.pass);
    }
  });

  it("uninstalls cleanly and keeps the CRDs", async () => {
    await chart.uninstall();
    const api = cp.kubeConfig().makeApiClient(CoreV1Api);
    await expect(
      api.readNamespacedServiceAccount({ name: chart.serviceAccounts.webhook, namespace: ns }),
    ).rejects.toMatchObject({
      code: 404,
    });
    const { stdout } = await run("kubectl", [
      "get",
      "crd",
      "certificates.cert-manager.io",
      "-o",
      "name",
      "--kubeconfig",
      cp.kubeconfigPath,
      "--cache-dir",
      await mkdtemp(join(tmpdir(), "ck-kubectl-")),
    ]);
    expect(stdout.trim()).toBe("customresourcedefinition.apiextensions.k8s.io/certificates.cert-manager.io");
  });
});
