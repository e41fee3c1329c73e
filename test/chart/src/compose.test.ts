/**
 * docker-compose.yml and the service images, checked without a Docker engine (none runs in CI):
 * `docker-compose config -q` validates the file, and the Dockerfiles are read for what matters
 * (multi-stage, a numeric non-root user, tool versions that match the workspace).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT } from "./helm.ts";

const run = promisify(execFile);
const SERVICES = ["controller", "webhook", "cainjector", "acme-solver"] as const;

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  depends_on?: Record<string, { condition: string }> | string[];
  read_only?: boolean;
  cap_drop?: string[];
}

describe("docker-compose.yml", () => {
  it("is valid for docker-compose (config -q)", async () => {
    const res = await run("docker-compose", ["-f", "docker-compose.yml", "config", "-q"], {
      cwd: REPO_ROOT,
    }).catch((err: NodeJS.ErrnoException & { stderr?: string }) => {
      if (err.code === "ENOENT")
        throw new Error("docker-compose is not installed (scripts/setup.sh installs it)");
      throw new Error(`docker-compose config -q failed: ${err.stderr ?? err.message}`);
    });
    expect(res.stderr).toBe("");
  });

  it("runs NATS, k3s, Pebble with its DNS, the four services and a setup job", () => {
    const compose = parse(readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    const names = Object.keys(compose.services);
    for (const s of ["nats", "k3s", "pebble", "challtestsrv", "setup", ...SERVICES])
      expect(names).toContain(s);
    for (const s of SERVICES) {
      const svc = compose.services[s]!;
      expect(svc.build).toEqual({ context: ".", dockerfile: `services/${s}/Dockerfile` });
      expect(svc.read_only).toBe(true);
      expect(svc.cap_drop).toEqual(["ALL"]);
      expect((svc.depends_on as Record<string, { condition: string }>).setup).toEqual({
        condition: "service_completed_successfully",
      });
    }
    expect(readFileSync(join(REPO_ROOT, "docker/setup.sh"), "utf8")).toMatch(/kubectl apply .*crds\.yaml/);
  });
});

describe("service Dockerfiles", () => {
  const workspace = readFileSync(join(REPO_ROOT, "pnpm-workspace.yaml"), "utf8");
  const esbuild = /^\s*esbuild:\s*(\S+)/m.exec(workspace)?.[1];
  const pnpm = (
    JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { packageManager: string }
  ).packageManager.split("@")[1];

  for (const s of SERVICES) {
    it(`${s}: multi-stage bundle, numeric non-root user, workspace tool versions`, () => {
      const path = join(REPO_ROOT, "services", s, "Dockerfile");
      expect(existsSync(path)).toBe(true);
      const text = readFileSync(path, "utf8");
      expect(text.match(/^FROM /gm)).toHaveLength(2);
      expect(text).toMatch(/^USER [1-9]\d*:[1-9]\d*$/m);
      expect(text).toContain(`pnpm install --frozen-lockfile --filter "@certkeeper/${s}..."`);
      expect(text).toContain(`sh docker/bundle.sh ${s} /out`);
      expect(text).toContain(`pnpm@${pnpm}`);
      expect(text).toContain(`esbuild@${esbuild}`);
      // The runtime stage carries the bundle only: no sources, no node_modules.
      const runtime = text.slice(text.lastIndexOf("FROM "));
      expect(runtime).not.toMatch(/node_modules|COPY \. /);
    });
  }
});
