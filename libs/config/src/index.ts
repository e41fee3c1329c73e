import type { Static, TObject } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

export class ConfigError extends Error {
  readonly code = "CK_CONFIG_INVALID";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Reads `--flag=value` / `--flag value` / `--no-flag` from argv into a flat record keyed by flag name. */
export function parseFlags(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) continue;
    const body = arg.slice(2);
    const eq = body.indexOf("=");
    if (eq >= 0) {
      out[body.slice(0, eq)] = body.slice(eq + 1);
    } else if (body.startsWith("no-")) {
      out[body.slice(3)] = "false";
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) {
      out[body] = argv[++i]!;
    } else {
      out[body] = "true";
    }
  }
  return out;
}

function camelToKebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
function camelToEnv(prefix: string, s: string): string {
  return `${prefix}_${s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export interface LoadOptions {
  argv?: readonly string[];
  env?: Record<string, string | undefined>;
  /** Env var prefix, e.g. CERTKEEPER_CONTROLLER: `kubeApiQps` ← CERTKEEPER_CONTROLLER_KUBE_API_QPS. */
  envPrefix?: string;
  /** Values from a config file (already parsed), lowest precedence after defaults. */
  file?: Record<string, unknown>;
}

/**
 * schema → defaults → file → env → flags → convert → validate → freeze.
 * Every problem is listed in one ConfigError so a user fixes them all at once.
 */
export function loadConfig<T extends TObject>(schema: T, opts: LoadOptions = {}): Readonly<Static<T>> {
  const flags = parseFlags(opts.argv ?? []);
  const env = opts.env ?? {};
  const raw: Record<string, unknown> = { ...(opts.file ?? {}) };
  const known = new Set(Object.keys(schema.properties));
  const problems: string[] = [];
  for (const key of known) {
    const envKey = opts.envPrefix ? camelToEnv(opts.envPrefix, key) : undefined;
    if (envKey && env[envKey] !== undefined) raw[key] = env[envKey];
    const flag = camelToKebab(key);
    if (flags[flag] !== undefined) raw[key] = flags[flag];
  }
  for (const flag of Object.keys(flags)) {
    const key = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!known.has(key)) problems.push(`--${flag}: unknown flag`);
  }
  const withDefaults = Value.Default(schema, Value.Convert(schema, raw));
  for (const e of Value.Errors(schema, withDefaults)) {
    const key = e.path.replace(/^\//, "");
    problems.push(`${key ? `--${camelToKebab(key.split("/")[0]!)}` : "config"}: ${e.message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(withDefaults as Static<T>);
}

export function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
