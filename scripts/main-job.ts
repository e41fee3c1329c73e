/**
 * The main job: a certificate issued end to end on a local default setup.
 *
 *   1. start a real kube-apiserver + etcd and nats-server on loopback
 *   2. apply the cert-manager CRDs and run the controller as its own process
 *   3. apply examples/ (self-signed ClusterIssuer → CA Certificate → CA ClusterIssuer → leaf)
 *   4. wait for the leaf to be Ready, then show it: subject, SANs, issuer, validity, renewal,
 *      `openssl verify` of the chain against ca.crt, and the Certificate's NATS event timeline
 *
 * Flags: --keep (leave everything running until Ctrl-C), --kubeconfig PATH (use an existing
 * cluster instead of starting one; the CRDs are applied there).
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { Resources, type Certificate } from "@certkeeper/api";
import { connectBus, replayEvents } from "@certkeeper/bus";
import { filters } from "@certkeeper/contracts";
import { KubeClient, CoreResources, loadKubeConfig, type Secret } from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import { parseCertificate } from "@certkeeper/pki";
import { startControlPlane, startNats, waitFor } from "@certkeeper/testing";
import { applyCrds } from "./lib/crds.ts";

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const keep = args.includes("--keep");
const kubeconfigArg = args.includes("--kubeconfig") ? args[args.indexOf("--kubeconfig") + 1] : undefined;

const step = (s: string) => console.log(`\n▸ ${s}`);
const t0 = Date.now();

step("starting the local control plane (etcd + kube-apiserver) and nats-server");
const cp = kubeconfigArg ? undefined : await startControlPlane();
const kubeconfigPath = kubeconfigArg ?? cp!.kubeconfigPath;
const nats = await startNats();
console.log(`  kubeconfig ${kubeconfigPath}\n  nats       ${nats.url}`);

const kc = loadKubeConfig({ kubeconfig: kubeconfigPath });
const client = new KubeClient(kc);
const kubectlCache = await mkdtemp(join(tmpdir(), "certkeeper-kubectl-"));
const kubectl = (...a: string[]) =>
  run("kubectl", ["--kubeconfig", kubeconfigPath, "--cache-dir", kubectlCache, ...a]);

step("applying the cert-manager CRDs");
await applyCrds(kc);
await kubectl("create", "namespace", "cert-manager").catch(() => undefined);

step("starting the controller service");
const logPath = join(cp?.workDir ?? (await mkdtemp(join(tmpdir(), "certkeeper-"))), "controller.log");
const { createWriteStream } = await import("node:fs");
const controllerLog = createWriteStream(logPath);
const controller = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    join(ROOT, "services/controller/src/main.ts"),
    "--kubeconfig",
    kubeconfigPath,
    "--nats-url",
    nats.url,
    "--cluster-resource-namespace",
    "cert-manager",
    "--metrics-listen-address",
    "127.0.0.1:0",
    "--healthz-listen-address",
    "127.0.0.1:0",
  ],
  { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT },
);
controller.stdout.pipe(controllerLog);
controller.stderr.pipe(controllerLog);
console.log(`  pid ${controller.pid}, log ${logPath}`);

async function shutdown(code: number): Promise<never> {
  controller.kill("SIGTERM");
  await new Promise((r) => controller.once("exit", r));
  await client.close();
  await nats.stop();
  await cp?.stop();
  process.exit(code);
}

try {
  step("applying examples/");
  const dir = join(ROOT, "examples");
  for (const f of (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort()) {
    const { stdout } = await kubectl("apply", "-f", join(dir, f));
    process.stdout.write(`  ${stdout}`);
  }

  step("waiting for Certificate default/web to be Ready");
  const cert = await waitFor(
    "Certificate default/web Ready",
    async () => {
      const c = await client.get<Certificate>(Resources.Certificate, "default", "web").catch(() => undefined);
      return c?.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True") ? c : undefined;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 250,
      abortIf: () => (controller.exitCode !== null ? `controller exited; see ${logPath}` : undefined),
    },
  );
  console.log(
    `  Ready ${((Date.now() - t0) / 1000).toFixed(1)} s after this command started (control plane boot included)`,
  );
  const { stdout: table } = await kubectl("get", "certificates", "-A", "-o", "wide");
  console.log(table.trimEnd().replace(/^/gm, "  "));

  const secret = await client.get<Secret>(CoreResources.secrets, "default", cert.spec.secretName);
  const dec = (k: string) => Buffer.from(secret.data?.[k] ?? "", "base64").toString("utf8");
  const leaf = parseCertificate(dec("tls.crt"));
  step(`Secret default/${cert.spec.secretName} (${secret.type})`);
  console.log(`  keys         ${Object.keys(secret.data ?? {}).join(", ")}`);
  console.log(`  subject      ${leaf.subject.text}`);
  console.log(`  DNS names    ${leaf.dnsNames.join(", ")}`);
  console.log(`  IP addresses ${leaf.ipAddresses.join(", ")}`);
  console.log(`  issuer       ${leaf.issuer.text}`);
  console.log(`  key usages   ${[...leaf.keyUsages, ...leaf.extKeyUsages].join(", ")}`);
  console.log(`  not before   ${leaf.notBefore.toISOString()}`);
  console.log(`  not after    ${leaf.notAfter.toISOString()}`);
  console.log(`  renewal at   ${cert.status?.renewalTime} (status.renewalTime)`);
  console.log(`  revision     ${cert.status?.revision}`);

  step("openssl verify -CAfile ca.crt tls.crt");
  const work = await mkdtemp(join(tmpdir(), "certkeeper-verify-"));
  await writeFile(join(work, "ca.crt"), dec("ca.crt"));
  await writeFile(join(work, "tls.crt"), dec("tls.crt"));
  const verify = await run("openssl", [
    "verify",
    "-CAfile",
    join(work, "ca.crt"),
    join(work, "tls.crt"),
  ]).then(
    (r) => ({ ok: true, out: r.stdout.trim() }),
    (e: { stdout?: string; stderr?: string }) => ({
      ok: false,
      out: `${e.stdout ?? ""}${e.stderr ?? ""}`.trim(),
    }),
  );
  console.log(`  ${verify.out}`);
  const keyCheck = await run("sh", [
    "-c",
    `openssl pkey -pubout -in /dev/stdin <<'K'\n${dec("tls.key")}K\n`,
  ]).then((r) => r.stdout);
  const certPub = await run("openssl", ["x509", "-pubkey", "-noout", "-in", join(work, "tls.crt")]).then(
    (r) => r.stdout,
  );
  console.log(`  tls.key matches tls.crt: ${keyCheck === certPub ? "yes" : "NO"}`);

  step(`NATS event timeline of Certificate default/web (uid ${cert.metadata.uid})`);
  const bus = await connectBus({ servers: nats.url, name: "certkeeper-main-job", logger: silentLogger() });
  const at: Record<string, number> = {};
  for await (const ev of replayEvents(bus, { filter: filters.eventsOf(cert.metadata.uid!) })) {
    at[ev.subject.split(".").at(-1)!] ??= Date.parse(ev.envelope.at);
    const d = ev.envelope.data;
    const detail = Object.entries(d)
      .filter(([, v]) => v !== undefined && typeof v !== "object")
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(" ");
    console.log(`  ${ev.envelope.at}  ${ev.subject.split(".").at(-1)!.padEnd(18)} ${detail}`);
  }
  await bus.close();
  if (at.issuing && at.issued)
    console.log(`  issuance itself (issuing → issued): ${at.issued - at.issuing} ms`);

  if (!verify.ok || keyCheck !== certPub) {
    console.error("\nFAILED: the issued chain does not verify against ca.crt");
    await shutdown(1);
  }
  console.log(`\n✔ certificate issued end to end in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (keep) {
    console.log(
      `\nStill running. Try:\n  kubectl --kubeconfig ${kubeconfigPath} get certificates -A\nCtrl-C stops everything.`,
    );
    process.removeAllListeners("SIGINT");
    await new Promise((r) => process.once("SIGINT", r));
  }
  await shutdown(0);
} catch (err) {
  console.error(`\nFAILED: ${err instanceof Error ? err.message : String(err)}\ncontroller log: ${logPath}`);
  await shutdown(1);
}
