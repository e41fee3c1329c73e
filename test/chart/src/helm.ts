/**
 * The real `helm` binary, for lint, template and install in tests: $HELM_BIN, else `helm` built
 * once by scripts/build-helm.sh (cached outside the repo). Helm's own cache/config/data dirs are
 * private temp dirs, so tests never touch the user's repositories or plugins.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";

const run = promisify(execFile);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const CHART_DIR = join(REPO_ROOT, "charts/certkeeper");

/** A rendered Kubernetes object, loosely typed: tests read what they assert. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

let binary: Promise<string> | undefined;

export function helmBinary(): Promise<string> {
  binary ??= (async () => {
    if (process.env.HELM_BIN) return process.env.HELM_BIN;
    const { stdout } = await run("bash", [join(REPO_ROOT, "scripts/build-helm.sh")], {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 30 * 60 * 1000,
    });
    return stdout.trim().split("\n").at(-1)!;
  })();
  return binary;
}

let home: string | undefined;
function helmEnv(): NodeJS.ProcessEnv {
  home ??= mkdtempSync(join(tmpdir(), "ck-helm-home-"));
  return {
    ...process.env,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
  };
}

export class HelmError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export async function helm(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const bin = await helmBinary();
  try {
    const { stdout } = await run(bin, args, {
      env: helmEnv(),
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs ?? 120_000,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new HelmError(`helm ${args.join(" ")} failed: ${e.stderr || e.message}`, e.stderr ?? "");
  }
}

/** Writes values to a temp file for `-f` (JSON is YAML). */
export function valuesFile(values: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "ck-values-"));
  const path = join(dir, "values.json");
  writeFileSync(path, JSON.stringify(values), { mode: 0o600 });
  return path;
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
}

/** `helm template` with the given values, parsed into objects. */
export async function renderChart(
  values: Record<string, unknown> = {},
  opts: RenderOptions = {},
): Promise<Manifest[]> {
  const out = await helm([
    "template",
    opts.release ?? "certkeeper",
    CHART_DIR,
    "--namespace",
    opts.namespace ?? "certkeeper",
    "-f",
    valuesFile(values),
  ]);
  return parseManifests(out);
}

export function parseManifests(text: string): Manifest[] {
  const docs: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML is invalid: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as Manifest | null;
    if (value) docs.push(value);
  }
  return docs;
}

export function find(docs: Manifest[], kind: string, name: string): Manifest {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
  if (!doc) {
    const have = docs.filter((d) => d.kind === kind).map((d) => d.metadata.name);
    throw new Error(`no ${kind} ${name} rendered (have: ${have.join(", ") || "none"})`);
  }
  return doc;
}
