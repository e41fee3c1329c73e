/**
 * A local Kubernetes control plane of real binaries (etcd + kube-apiserver), the way
 * controller-runtime's envtest runs one: no kubelet, no controller-manager, no pods.
 *
 *   binaries: $KUBEBUILDER_ASSETS → $PATH → scripts/build-control-plane.sh (built once, cached
 *             outside the repo under ~/.cache/certkeeper/control-plane/<versions>/)
 *   network:  random loopback ports only
 *   auth:     a CA made per start; admin = client cert in system:masters; RBAC authorizer on;
 *             per-service identities as client certs (identity()) or ServiceAccount tokens (TokenRequest)
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, delimiter, dirname, resolve } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { request } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import { freePort, startProcess, waitFor, type ManagedProcess } from "./processes.ts";

const run = promisify(execFile);
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface ControlPlaneOptions {
  /** Where certs, etcd data, logs and kubeconfigs go; a fresh temp dir by default (removed on stop). */
  workDir?: string;
  /** Extra kube-apiserver flags, e.g. ["--v=4"]. */
  apiServerArgs?: string[];
  startTimeoutMs?: number;
}

export interface Identity {
  kubeconfigPath: string;
  kubeConfig(): KubeConfig;
}

export interface ControlPlane extends Identity {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly workDir: string;
  readonly caPath: string;
  readonly binDir: string;
  /** A client-certificate identity (RBAC applies; nothing is granted by default). */
  identity(user: string, groups?: string[]): Promise<Identity>;
  /** A kubeconfig that authenticates with a bearer token (e.g. a ServiceAccount token). */
  tokenIdentity(name: string, token: string): Promise<Identity>;
  stop(): Promise<void>;
}

/** Resolves the directory holding kube-apiserver and etcd, building them once if nowhere else. */
export async function resolveControlPlaneBinaries(): Promise<string> {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) {
    for (const b of ["kube-apiserver", "etcd"]) {
      if (!existsSync(join(assets, b))) throw new Error(`KUBEBUILDER_ASSETS=${assets} has no ${b}`);
    }
    return assets;
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "kube-apiserver")) && existsSync(join(dir, "etcd"))) return dir;
  }
  const { stdout } = await run("bash", [join(REPO_ROOT, "scripts/build-control-plane.sh")], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60 * 60 * 1000,
  });
  return stdout.trim().split("\n").at(-1)!;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run("openssl", args, { cwd });
}

/** CA, API server serving cert, admin client cert and the service-account signing key. */
async function makePki(dir: string): Promise<void> {
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"], dir);
  await openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      "ca.key",
      "-subj",
      "/CN=certkeeper-local-ca",
      "-days",
      "30",
      "-out",
      "ca.crt",
    ],
    dir,
  );
  await writeFile(
    join(dir, "serving.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  await issue(dir, "serving", "/CN=kube-apiserver", "serving.ext");
  await openssl(["genrsa", "-out", "sa.key", "2048"], dir);
  await openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
}

async function issue(dir: string, name: string, subject: string, extFile?: string): Promise<void> {
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir);
  await openssl(["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], dir);
  const ext = extFile ? ["-extfile", extFile] : [];
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "30",
      "-out",
      `${name}.crt`,
      ...ext,
    ],
    dir,
  );
}

function kubeconfigYaml(server: string, caPath: string, user: string, auth: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: certkeeper-local",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority: ${caPath}`,
    "contexts:",
    `- name: ${user}@certkeeper-local`,
    "  context:",
    "    cluster: certkeeper-local",
    `    user: ${user}`,
    `current-context: ${user}@certkeeper-local`,
    "users:",
    `- name: ${user}`,
    "  user:",
    auth,
    "",
  ].join("\n");
}

function identityFrom(path: string): Identity {
  return {
    kubeconfigPath: path,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromFile(path);
      return kc;
    },
  };
}

async function readyz(server: string, dir: string): Promise<boolean> {
  const [ca, cert, key] = await Promise.all(
    ["ca.crt", "admin.crt", "admin.key"].map((f) => readFile(join(dir, f))),
  );
  return new Promise((resolvePromise) => {
    const req = request(`${server}/readyz`, { ca, cert, key, timeout: 2000 }, (res) => {
      res.resume();
      resolvePromise(res.statusCode === 200);
    });
    req.on("error", () => resolvePromise(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = await resolveControlPlaneBinaries();
  const ownsDir = !opts.workDir;
  const workDir = opts.workDir ?? (await mkdtemp(join(tmpdir(), "certkeeper-cp-")));
  await mkdir(workDir, { recursive: true });
  const pkiDir = join(workDir, "pki");
  await mkdir(pkiDir, { recursive: true });
  await makePki(pkiDir);
  await issue(pkiDir, "admin", "/O=system:masters/CN=certkeeper-admin");

  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  let etcd: ManagedProcess | undefined;
  let apiserver: ManagedProcess | undefined;
  try {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    etcd = startProcess(
      join(binDir, "etcd"),
      [
        "--data-dir",
        join(workDir, "etcd"),
        "--listen-client-urls",
        etcdUrl,
        "--advertise-client-urls",
        etcdUrl,
        "--listen-peer-urls",
        `http://127.0.0.1:${peerPort}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peerPort}`,
        "--initial-cluster",
        `default=http://127.0.0.1:${peerPort}`,
        "--unsafe-no-fsync",
        "--log-level",
        "warn",
      ],
      { logPath: join(workDir, "etcd.log") },
    );
    const securePort = await freePort();
    const server = `https://127.0.0.1:${securePort}`;
    apiserver = startProcess(
      join(binDir, "kube-apiserver"),
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${securePort}`,
        `--tls-cert-file=${join(pkiDir, "serving.crt")}`,
        `--tls-private-key-file=${join(pkiDir, "serving.key")}`,
        `--client-ca-file=${join(pkiDir, "ca.crt")}`,
        `--service-account-key-file=${join(pkiDir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(pkiDir, "sa.key")}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--api-audiences=https://kubernetes.default.svc.cluster.local",
        "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--allow-privileged=true",
        "--enable-priority-and-fairness=false",
        "--disable-admission-plugins=ServiceAccount",
        "--max-requests-inflight=2000",
        "--max-mutating-requests-inflight=1000",
        ...(opts.apiServerArgs ?? []),
      ],
      { logPath: join(workDir, "kube-apiserver.log") },
    );
    const procs = [etcd, apiserver];
    await waitFor("kube-apiserver /readyz", async () => ((await readyz(server, pkiDir)) ? true : undefined), {
      timeoutMs,
      intervalMs: 200,
      abortIf: () =>
        procs.some((p) => p.exited())
          ? `a process exited early; see ${workDir}/{etcd,kube-apiserver}.log`
          : undefined,
    });

    const caPath = join(pkiDir, "ca.crt");
    const adminPath = join(workDir, "admin.kubeconfig");
    await writeFile(
      adminPath,
      kubeconfigYaml(
        server,
        caPath,
        "certkeeper-admin",
        `    client-certificate: ${join(pkiDir, "admin.crt")}\n    client-key: ${join(pkiDir, "admin.key")}`,
      ),
    );
    let stopped = false;
    const plane: ControlPlane = {
      ...identityFrom(adminPath),
      server,
      workDir,
      caPath,
      binDir,
      async identity(user, groups = []) {
        const safe = user.replace(/[^A-Za-z0-9_.-]/g, "_");
        const subject = [...groups.map((g) => `/O=${g}`), `/CN=${user}`].join("");
        await issue(pkiDir, `user-${safe}`, subject);
        const path = join(workDir, `${safe}.kubeconfig`);
        await writeFile(
          path,
          kubeconfigYaml(
            server,
            caPath,
            safe,
            `    client-certificate: ${join(pkiDir, `user-${safe}.crt`)}\n    client-key: ${join(pkiDir, `user-${safe}.key`)}`,
          ),
        );
        return identityFrom(path);
      },
      async tokenIdentity(name, token) {
        const safe = name.replace(/[^A-Za-z0-9_.-]/g, "_");
        const path = join(workDir, `${safe}.token.kubeconfig`);
        await writeFile(path, kubeconfigYaml(server, caPath, safe, `    token: ${token}`), { mode: 0o600 });
        return identityFrom(path);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await apiserver?.stop();
        await etcd?.stop();
        if (ownsDir) await rm(workDir, { recursive: true, force: true });
      },
    };
    return plane;
  } catch (err) {
    await apiserver?.stop(1000);
    await etcd?.stop(1000);
    throw err;
  }
}
