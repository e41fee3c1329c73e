/**
 * Regenerates every generated file in the repository from its TypeScript source of truth.
 *   pnpm gen          write all generated files (and delete stale ones a generator owns)
 *   pnpm gen:check    exit 1 and list the files that `pnpm gen` would change
 *
 * To add a generator, append a `Generator` to GENERATORS: `files()` returns `{path, content}` pairs
 * (paths relative to the repository root) and `owns` names the directories/file patterns it fully
 * controls, so files it no longer produces are reported and removed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { crdGeneratedFiles, HELM_TEMPLATES_DIR, type GeneratedFile } from "@certkeeper/api";
import { errorsDoc } from "./gen-errors-doc.ts";
import { valuesSchemaFiles } from "./gen-values-schema.ts";

export interface Generator {
  name: string;
  files(): GeneratedFile[] | Promise<GeneratedFile[]>;
  /** Files matching these (directory, file-name pattern) pairs are produced only by this generator. */
  owns?: { dir: string; pattern: RegExp }[];
}

export const GENERATORS: Generator[] = [
  {
    name: "crds",
    files: crdGeneratedFiles,
    owns: [{ dir: HELM_TEMPLATES_DIR, pattern: /^crd-.*\.yaml$/ }],
  },
  { name: "values-schema", files: valuesSchemaFiles },
  {
    name: "errors-doc",
    files: () => errorsDoc(join(dirname(fileURLToPath(import.meta.url)), "..")),
  },
];

export interface Plan {
  write: GeneratedFile[];
  remove: string[];
}

/** What `gen` would change under `root`: files whose content differs, and owned files no longer produced. */
export async function plan(root: string, generators: readonly Generator[] = GENERATORS): Promise<Plan> {
  const produced = new Map<string, string>();
  for (const g of generators) {
    for (const f of await g.files()) {
      if (produced.has(f.path)) throw new Error(`${f.path} is produced twice (generator ${g.name})`);
      produced.set(f.path, f.content);
    }
  }
  const write: GeneratedFile[] = [];
  for (const [path, content] of produced) {
    const abs = join(root, path);
    if (!existsSync(abs) || readFileSync(abs, "utf8") !== content) write.push({ path, content });
  }
  const remove: string[] = [];
  for (const g of generators) {
    for (const { dir, pattern } of g.owns ?? []) {
      const absDir = join(root, dir);
      if (!existsSync(absDir)) continue;
      for (const name of readdirSync(absDir)) {
        const path = `${dir}/${name}`;
        if (pattern.test(name) && !produced.has(path)) remove.push(path);
      }
    }
  }
  return { write, remove };
}

async function main(): Promise<number> {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const check = process.argv.includes("--check");
  const { write, remove } = await plan(root);
  if (check) {
    if (write.length === 0 && remove.length === 0) {
      console.log("gen: all generated files are up to date");
      return 0;
    }
    console.error("gen: generated files are stale; run `pnpm gen`:");
    for (const f of write)
      console.error(`  ${existsSync(join(root, f.path)) ? "changed" : "missing"}: ${f.path}`);
    for (const path of remove) console.error(`  stale:   ${path}`);
    return 1;
  }
  for (const f of write) {
    const abs = join(root, f.path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, f.content);
    console.log(`gen: wrote ${relative(root, abs)}`);
  }
  for (const path of remove) {
    rmSync(join(root, path));
    console.log(`gen: removed ${path}`);
  }
  if (write.length === 0 && remove.length === 0) console.log("gen: nothing to do");
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
