/**
 * `events <kind>/<name> [-n ns] [--since 10m] [--follow] [-o json]`: the lifecycle of one object as
 * the services published it, replayed from the CM_EVENTS stream in stream order. The name is
 * resolved to the object's UID through the Kubernetes API (events are keyed by UID, so a deleted
 * and re-created object does not mix its history with the old one); `uid/<uid>` skips that.
 *
 * NATS: --nats-url / CERTKEEPER_NATS_URL, --nats-user / CERTKEEPER_NATS_USER,
 * --nats-password / CERTKEEPER_NATS_PASSWORD, --nats-ca / CERTKEEPER_NATS_CA (enables TLS).
 * With the chart's NATS, the `viewer` user (Secret <release>-nats-viewer) may read the stream.
 */
import { BusError, BusSetupError, connectBus, replayEvents, type Bus } from "@certkeeper/bus";
import { filters, EVENTS_STREAM } from "@certkeeper/contracts";
import { isNotFound, type KubeObject } from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import { flagBool, flagDuration, flagString } from "../args.ts";
import type { CommandContext } from "../context.ts";
import { CliError, UsageError } from "../errors.ts";
import { formatTimelineEvent, formatTimelineJson } from "../format/events.ts";
import { parseKindName, resourceType } from "../kube.ts";

export const EVENTS_FLAGS = {
  booleans: ["follow"],
  values: ["since", "output"],
  aliases: { f: "follow", o: "output" },
};

const CONNECT_TIMEOUT_MS = 10_000;

export interface Target {
  uid: string;
  /** "Certificate apps/web", for messages. */
  label: string;
}

async function resolveTarget(ctx: CommandContext, ref: string): Promise<Target> {
  if (ref.startsWith("uid/")) return { uid: ref.slice(4), label: `object ${ref.slice(4)}` };
  const { kind, name } = parseKindName(ref);
  const rt = resourceType(kind);
  const { client, namespace } = ctx.kube();
  const ns = rt.namespaced ? namespace : undefined;
  const label = `${kind} ${ns ? `${ns}/` : ""}${name}`;
  try {
    const obj = await client.get<KubeObject>(rt, ns, name);
    if (!obj.metadata.uid) throw new CliError(`${label} has no UID`);
    return { uid: obj.metadata.uid, label };
  } catch (err) {
    if (isNotFound(err)) {
      throw new CliError(`${label} not found (its events stay in the stream: use uid/<uid> to read them)`, {
        cause: err,
      });
    }
    throw err;
  }
}

export async function openBus(ctx: CommandContext): Promise<Bus> {
  const url = ctx.globals.natsUrl ?? ctx.env.CERTKEEPER_NATS_URL;
  if (!url) throw new UsageError("no NATS server: pass --nats-url or set CERTKEEPER_NATS_URL");
  const user = ctx.globals.natsUser ?? ctx.env.CERTKEEPER_NATS_USER;
  const pass = ctx.globals.natsPassword ?? ctx.env.CERTKEEPER_NATS_PASSWORD;
  const ca = ctx.globals.natsCa ?? ctx.env.CERTKEEPER_NATS_CA;
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(CONNECT_TIMEOUT_MS)]);
  try {
    return await connectBus({
      servers: url.split(",").map((s) => s.trim()),
      name: "certkeeper-cli",
      ...(user !== undefined ? { user, pass: pass ?? "" } : {}),
      ...(ca ? { tls: { caFile: ca } } : {}),
      logger: silentLogger(),
      signal,
      // A person is waiting: say at once that the server is not there instead of retrying.
      maxAttempts: 1,
      connectTimeoutMs: 5000,
    });
  } catch (err) {
    throw new CliError(`cannot connect to NATS at ${url}: ${(err as Error).message}`, { cause: err });
  }
}

export async function events(ctx: CommandContext): Promise<void> {
  const [ref, ...rest] = ctx.args.positionals;
  if (!ref || rest.length > 0)
    throw new UsageError("usage: events <kind>/<name> [-n namespace] [--since 10m] [--follow]");
  const output = flagString(ctx.args, "output") ?? "text";
  if (output !== "text" && output !== "json")
    throw new UsageError(`-o must be text or json, not "${output}"`);
  const follow = flagBool(ctx.args, "follow");
  const sinceMs = flagDuration(ctx.args, "since", 0);
  const target = await resolveTarget(ctx, ref);
  const bus = await openBus(ctx);
  try {
    ctx.out.err(
      `Events of ${target.label} (uid ${target.uid}) from ${EVENTS_STREAM.name}${follow ? ", following" : ""}:`,
    );
    let count = 0;
    for await (const e of replayEvents(bus, {
      filter: filters.eventsOf(target.uid),
      follow,
      signal: ctx.signal,
      ...(sinceMs > 0 ? { since: new Date(ctx.now().getTime() - sinceMs) } : {}),
    })) {
      count++;
      ctx.out.out(output === "json" ? formatTimelineJson(e) : formatTimelineEvent(e));
    }
    if (count === 0 && !follow) ctx.out.err("No events found.");
  } catch (err) {
    if (err instanceof BusSetupError)
      throw new CliError(`${err.message}: is certkeeper running against this NATS?`, { cause: err });
    if (err instanceof BusError) throw new CliError(err.message, { cause: err });
    throw err;
  } finally {
    await bus.close().catch(() => undefined);
  }
}
