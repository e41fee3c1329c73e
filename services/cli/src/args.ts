/**
 * Command-line parsing, kubectl style: flags anywhere among the arguments, `--flag value`,
 * `--flag=value`, short aliases (`-n ns`, `-A`), boolean flags that take no value, and `--` to end
 * flags. Pure: no process access.
 */
import { parseGoDuration } from "@certkeeper/api";
import { UsageError } from "./errors.ts";

export interface FlagSpec {
  /** Flags that take no value (`--all`, `--follow`). */
  booleans: readonly string[];
  /** Flags that take a value. */
  values: readonly string[];
  /** Short alias → long name, e.g. { n: "namespace" }. */
  aliases?: Readonly<Record<string, string>>;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** Flags every command accepts. */
export const GLOBAL_FLAGS: FlagSpec = {
  booleans: ["help", "all-namespaces"],
  values: ["kubeconfig", "context", "namespace", "nats-url", "nats-user", "nats-password", "nats-ca"],
  aliases: { n: "namespace", h: "help", A: "all-namespaces" },
};

export function mergeSpecs(...specs: FlagSpec[]): FlagSpec {
  return {
    booleans: specs.flatMap((s) => s.booleans),
    values: specs.flatMap((s) => s.values),
    aliases: Object.assign({}, ...specs.map((s) => s.aliases ?? {})) as Record<string, string>,
  };
}

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const booleans = new Set(spec.booleans);
  const values = new Set(spec.values);
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    const eq = body.indexOf("=");
    const rawName = eq >= 0 ? body.slice(0, eq) : body;
    const name = arg.startsWith("--") ? rawName : (spec.aliases?.[rawName] ?? rawName);
    if (!arg.startsWith("--") && !spec.aliases?.[rawName]) throw new UsageError(`unknown flag: ${arg}`);
    if (booleans.has(name)) {
      if (eq < 0) flags.set(name, true);
      else {
        const v = body.slice(eq + 1);
        if (v !== "true" && v !== "false") throw new UsageError(`--${name} takes true or false, not "${v}"`);
        if (v === "true") flags.set(name, true);
        else flags.delete(name);
      }
    } else if (values.has(name)) {
      let v: string | undefined;
      if (eq >= 0) v = body.slice(eq + 1);
      else if (i + 1 < argv.length) v = argv[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      flags.set(name, v);
    } else {
      throw new UsageError(`unknown flag: --${name}`);
    }
  }
  return { positionals, flags };
}

export function flagString(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

export function flagBool(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

/** A Go-style duration flag (`30s`, `1m`, `1h30m`) in milliseconds. */
export function flagDuration(args: ParsedArgs, name: string, fallbackMs: number): number {
  const v = flagString(args, name);
  if (v === undefined) return fallbackMs;
  try {
    const ms = parseGoDuration(v);
    if (ms < 0) throw new Error("negative");
    return ms;
  } catch {
    throw new UsageError(`--${name}: "${v}" is not a duration (e.g. 30s, 10m, 1h)`);
  }
}
