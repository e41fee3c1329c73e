/**
 * The `certkeeper` command line (cmctl-compatible where cmctl has the command). `run` parses,
 * dispatches and maps errors to exit codes; it touches no process state, so tests call it directly.
 */
import { KubeApiError } from "@certkeeper/kube";
import {
  GLOBAL_FLAGS,
  flagBool,
  flagString,
  mergeSpecs,
  parseArgs,
  type FlagSpec,
  type ParsedArgs,
} from "./args.ts";
import { decide, DECISION_FLAGS } from "./commands/approve.ts";
import { checkApi, CHECK_API_FLAGS } from "./commands/check.ts";
import { events, EVENTS_FLAGS } from "./commands/events.ts";
import { inspect } from "./commands/inspect.ts";
import { renew, RENEW_FLAGS } from "./commands/renew.ts";
import { status } from "./commands/status.ts";
import type { CommandContext } from "./context.ts";
import { CliError, UsageError } from "./errors.ts";
import type { Output } from "./io.ts";
import { openKube, type Globals, type KubeSession } from "./kube.ts";

export const VERSION = "0.1.0";

interface Command {
  usage: string;
  summary: string;
  flags: FlagSpec;
  run(ctx: CommandContext): Promise<void>;
}

const NONE: FlagSpec = { booleans: [], values: [] };

const COMMANDS: Record<string, Command> = {
  status: {
    usage: "status certificate <name> [-n namespace]",
    summary: "Show a Certificate with its issuer, Secret, request, order, challenges and events",
    flags: NONE,
    run: status,
  },
  renew: {
    usage: "renew <name>... | --all | -l <selector> [-A]",
    summary: "Mark Certificates for manual re-issuance",
    flags: RENEW_FLAGS,
    run: renew,
  },
  approve: {
    usage: "approve <certificaterequest> [--reason R] [--message M]",
    summary: "Approve a CertificateRequest",
    flags: DECISION_FLAGS,
    run: (ctx) => decide(ctx, "approve"),
  },
  deny: {
    usage: "deny <certificaterequest> [--reason R] [--message M]",
    summary: "Deny a CertificateRequest",
    flags: DECISION_FLAGS,
    run: (ctx) => decide(ctx, "deny"),
  },
  inspect: {
    usage: "inspect secret <name> [-n namespace]",
    summary: "Show the decoded certificates of a TLS Secret",
    flags: NONE,
    run: inspect,
  },
  check: {
    usage: "check api [--wait 1m] [--interval 5s]",
    summary: "Check that the CRDs are installed and the webhook answers",
    flags: CHECK_API_FLAGS,
    run: async (ctx) => {
      const [what, ...rest] = ctx.args.positionals;
      if (what !== "api") throw new UsageError("usage: check api [--wait 1m]");
      await checkApi({ ...ctx, args: { ...ctx.args, positionals: rest } });
    },
  },
  events: {
    usage: "events <kind>/<name> [-n namespace] [--since 10m] [--follow] [-o json]",
    summary: "Print an object's lifecycle events from the CM_EVENTS stream (or follow them)",
    flags: EVENTS_FLAGS,
    run: events,
  },
};

export function usage(): string[] {
  return [
    "certkeeper: inspect and operate certkeeper (cert-manager API) from the command line",
    "",
    "Usage: certkeeper <command> [flags]",
    "",
    "Commands:",
    ...Object.values(COMMANDS).flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
    "  version",
    "      Print the version",
    "",
    "Global flags:",
    "  --kubeconfig PATH      kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)",
    "  --context NAME         kubeconfig context",
    "  -n, --namespace NS     namespace (default: the context's, else default)",
    "  -A, --all-namespaces   every namespace (renew)",
    "  --nats-url URL         NATS server(s) for events ($CERTKEEPER_NATS_URL)",
    "  --nats-user U, --nats-password P, --nats-ca FILE   NATS credentials / TLS CA ($CERTKEEPER_NATS_*)",
  ];
}

export interface RunDeps {
  out: Output;
  env?: Record<string, string | undefined>;
  now?: () => Date;
  signal?: AbortSignal;
}

function globalsOf(args: ParsedArgs): Globals {
  return {
    kubeconfig: flagString(args, "kubeconfig"),
    context: flagString(args, "context"),
    namespace: flagString(args, "namespace"),
    allNamespaces: flagBool(args, "all-namespaces"),
    natsUrl: flagString(args, "nats-url"),
    natsUser: flagString(args, "nats-user"),
    natsPassword: flagString(args, "nats-password"),
    natsCa: flagString(args, "nats-ca"),
  };
}

/** Runs one command line; resolves to the exit code. */
export async function run(argv: readonly string[], deps: RunDeps): Promise<number> {
  const { out } = deps;
  const env = deps.env ?? {};
  let session: KubeSession | undefined;
  try {
    const all = mergeSpecs(GLOBAL_FLAGS, ...Object.values(COMMANDS).map((c) => c.flags));
    const parsed = parseArgs(argv, all);
    const [name, ...positionals] = parsed.positionals;
    if (!name || name === "help" || (flagBool(parsed, "help") && !name)) {
      for (const line of usage()) out.out(line);
      return name || flagBool(parsed, "help") ? 0 : 2;
    }
    if (name === "version") {
      out.out(`certkeeper ${VERSION}`);
      return 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"`);
    if (flagBool(parsed, "help")) {
      out.out(`Usage: certkeeper ${command.usage}`);
      out.out(command.summary);
      return 0;
    }
    const allowed = new Set([
      ...GLOBAL_FLAGS.booleans,
      ...GLOBAL_FLAGS.values,
      ...command.flags.booleans,
      ...command.flags.values,
    ]);
    for (const flag of parsed.flags.keys()) {
      if (!allowed.has(flag)) throw new UsageError(`unknown flag for ${name}: --${flag}`);
    }
    const globals = globalsOf(parsed);
    const ctx: CommandContext = {
      args: { positionals, flags: parsed.flags },
      globals,
      out,
      env,
      now: deps.now ?? (() => new Date()),
      signal: deps.signal ?? new AbortController().signal,
      kube: () => (session ??= openKube(globals, env)),
    };
    await command.run(ctx);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      out.err(`error: ${err.message}`);
      out.err("Run 'certkeeper help' for usage.");
      return err.exitCode;
    }
    if (err instanceof CliError) {
      out.err(`error: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof KubeApiError) {
      out.err(`error: ${err.apiMessage || err.message}`);
      return 1;
    }
    out.err(`error: ${(err as Error).message ?? String(err)}`);
    return 1;
  } finally {
    await session?.close().catch(() => undefined);
  }
}
