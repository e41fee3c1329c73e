/** What every command gets: its parsed arguments, the global flags, output, env, clock, signal. */
import type { ParsedArgs } from "./args.ts";
import type { Output } from "./io.ts";
import type { Globals, KubeSession } from "./kube.ts";

export interface CommandContext {
  args: ParsedArgs;
  globals: Globals;
  out: Output;
  env: Record<string, string | undefined>;
  now(): Date;
  /** Aborted on Ctrl-C (main.ts); long waits and --follow end with it. */
  signal: AbortSignal;
  /** The Kubernetes session, opened on first use and closed when the command ends. */
  kube(): KubeSession;
}

/** Waits `ms`, or less if `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
