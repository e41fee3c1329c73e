import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { plan, type Generator } from "../../../scripts/gen.ts";
import { allCrds } from "./crd.ts";
import { crdGeneratedFiles, CRDS_YAML_PATH, GENERATED_HEADER, renderHelmCrdTemplate } from "./render.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");

describe("generated CRD files", () => {
  it("are up to date on disk (run `pnpm gen` if this fails)", () => {
    for (const f of crdGeneratedFiles()) {
      expect(readFileSync(join(ROOT, f.path), "utf8"), f.path).toBe(f.content);
    }
  });

  it("`pnpm gen:check` exits 0", async () => {
    const { stdout } = await promisify(execFile)(
      join(ROOT, "node_modules/.bin/tsx"),
      ["scripts/gen.ts", "--check"],
      {
        cwd: ROOT,
      },
    );
    expect(stdout).toContain("up to date");
  }, 60_000);

  it("crds.yaml parses back to allCrds()", () => {
    const text = readFileSync(join(ROOT, CRDS_YAML_PATH), "utf8");
    expect(text.startsWith(`${GENERATED_HEADER}\n`)).toBe(true);
    const docs = YAML.parseAllDocuments(text).map((d) => d.toJS());
    expect(docs).toEqual(allCrds());
  });

  it("Helm templates are gated on crds.enabled and keep the CRD with crds.keep", () => {
    const t = renderHelmCrdTemplate(allCrds()[0]!);
    expect(t.split("\n").slice(0, 2)).toEqual([GENERATED_HEADER, "{{- if .Values.crds.enabled }}"]);
    expect(t.trimEnd().endsWith("{{- end }}")).toBe(true);
    expect(t).toContain(
      "  {{- if .Values.crds.keep }}\n  annotations:\n    helm.sh/resource-policy: keep\n  {{- end }}\n",
    );
    expect(t).toContain("    app.kubernetes.io/instance: {{ .Release.Name }}\n");
    // With the template actions removed the document is the CRD itself.
    const plain = t
      .split("\n")
      .filter((l) => !l.trim().startsWith("{{-") && !l.includes("{{ "))
      .join("\n")
      .replace("  annotations:\n    helm.sh/resource-policy: keep\n", "");
    expect(YAML.parse(plain).spec).toEqual(allCrds()[0]!.spec);
  });
});

describe("gen plan", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("reports missing, changed and orphaned owned files", async () => {
    dir = mkdtempSync(join(tmpdir(), "gen-test-"));
    mkdirSync(join(dir, "out"));
    writeFileSync(join(dir, "out/a.txt"), "same");
    writeFileSync(join(dir, "out/b.txt"), "old");
    writeFileSync(join(dir, "out/c.txt"), "orphan");
    writeFileSync(join(dir, "out/keep.md"), "not owned");
    const gen: Generator = {
      name: "t",
      files: () => [
        { path: "out/a.txt", content: "same" },
        { path: "out/b.txt", content: "new" },
        { path: "out/d.txt", content: "missing" },
      ],
      owns: [{ dir: "out", pattern: /\.txt$/ }],
    };
    const p = await plan(dir, [gen]);
    expect(p.write.map((f) => f.path)).toEqual(["out/b.txt", "out/d.txt"]);
    expect(p.remove).toEqual(["out/c.txt"]);
  });
});
