/**
 * The chart's NATS users, proven on a real nats-server: the authorization block `helm template`
 * renders is loaded into a local server, each service connects with its own credentials and does
 * what it does in production through libs/bus (stream, events, KV, commands), and is refused
 * what it must not do.
 */
import { Buffer } from "node:buffer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectBus,
  ensureEventStream,
  ensureKv,
  replayEvents,
  sendCommand,
  serveCommands,
  subscribeEvents,
  type Bus,
  type BusEventMessage,
} from "@certkeeper/bus";
import {
  commandSubject,
  eventMessageId,
  eventSubject,
  filters,
  makeEnvelope,
  PresentChallengeSchema,
  schemaName,
  SERVICES,
  type EventName,
  type ResourceRef,
  type SubjectKind,
} from "@certkeeper/contracts";
import { silentLogger } from "@certkeeper/logging";
import { startNats, type NatsServerHandle, type NatsUser } from "@certkeeper/testing";
import { find, renderChart } from "./helm.ts";

interface RenderedUser {
  user: string;
  password: string;
  permissions: NatsUser["permissions"];
}

const ROLES = ["controller", "webhook", "cainjector", "acme-solver", "viewer"] as const;
type Role = (typeof ROLES)[number];

let server: NatsServerHandle;
const buses = {} as Record<Role, Bus>;

beforeAll(async () => {
  const docs = await renderChart();
  const config = find(docs, "Secret", "certkeeper-nats-config") as unknown as {
    data: Record<string, string>;
  };
  const conf = JSON.parse(Buffer.from(config.data["nats.conf"]!, "base64").toString("utf8")) as {
    authorization: { users: RenderedUser[] };
  };
  const users = conf.authorization.users;
  server = await startNats({
    users: users.map((u) => ({ user: u.user, pass: u.password, permissions: u.permissions })),
  });
  for (const role of ROLES) {
    const secret = find(docs, "Secret", `certkeeper-nats-${role}`) as unknown as {
      data: Record<string, string>;
    };
    const decode = (k: string) => Buffer.from(secret.data[k]!, "base64").toString("utf8");
    buses[role] = await connectBus({
      servers: server.url,
      name: `certkeeper-${role}`,
      user: decode("username"),
      pass: decode("password"),
      logger: silentLogger(),
    });
  }
});

afterAll(async () => {
  for (const bus of Object.values(buses)) await bus.close();
  await server?.stop();
});

const certificate: ResourceRef = {
  kind: "Certificate",
  namespace: "apps",
  name: "web",
  uid: "uid-cert-1",
  resourceVersion: "7",
};

/**
 * Publishes one event to JetStream as `role`: true when stored, false when the server refuses it
 * for lack of permission (any other failure fails the test).
 */
async function published<K extends SubjectKind>(
  role: Role,
  kind: K,
  event: EventName<K>,
  resource: ResourceRef,
): Promise<boolean> {
  const envelope = makeEnvelope(schemaName(kind, event), resource, {});
  try {
    await buses[role].js.publish(eventSubject(kind, resource.uid, event), JSON.stringify(envelope), {
      msgID: eventMessageId(resource, event),
      timeout: 5000,
    });
    return true;
  } catch (err) {
    if (/Permissions Violation/.test((err as Error).message)) return false;
    throw err;
  }
}

/** Whether the server lets `role` subscribe to `subject` (a denial closes the subscription). */
async function canSubscribe(role: Role, subject: string): Promise<boolean> {
  const sub = buses[role].nc.subscribe(subject);
  const result = await Promise.race([
    (async () => {
      try {
        for await (const _ of sub) break;
        return true;
      } catch {
        return false;
      }
    })(),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 750)),
  ]);
  sub.unsubscribe();
  return result;
}

describe("NATS users rendered by the chart", () => {
  it("lets the controller create the event stream and publish lifecycle events", async () => {
    await expect(ensureEventStream(buses.controller)).resolves.toMatchObject({
      config: { name: "CM_EVENTS" },
    });
    await expect(ensureKv(buses.controller, "controllerMembers")).resolves.toBeDefined();
    const issued: BusEventMessage[] = [];
    const sub = subscribeEvents(buses.cainjector, filters.eventOfKind("certificate", "issued"), (e) => {
      issued.push(e);
    });
    await buses.cainjector.nc.flush();
    expect(await published("controller", "certificate", "issued", certificate)).toBe(true);
    await expect.poll(() => issued.map((e) => e.envelope.resource.uid)).toEqual([certificate.uid]);
    await sub.drain();
  });

  it("lets the cainjector and the webhook publish their own events only", async () => {
    const target: ResourceRef = {
      kind: "ValidatingWebhookConfiguration",
      name: "certkeeper-webhook",
      uid: "uid-vwc",
      resourceVersion: "1",
    };
    expect(await published("cainjector", "injectable", "injected", target)).toBe(true);
    expect(
      await published("cainjector", "certificate", "issued", { ...certificate, resourceVersion: "8" }),
    ).toBe(false);
    const denied: ResourceRef = {
      kind: "Certificate",
      namespace: "apps",
      name: "bad",
      uid: "uid-adm",
      resourceVersion: "1",
    };
    expect(await published("webhook", "admission", "denied", denied)).toBe(true);
    expect(
      await published("webhook", "certificate", "failed", { ...certificate, resourceVersion: "9" }),
    ).toBe(false);
    expect(await canSubscribe("cainjector", filters.allEvents())).toBe(false);
    expect(await canSubscribe("webhook", filters.eventOfKind("certificate", "issued"))).toBe(false);
  });

  it("lets the acme-solver keep HTTP-01 tokens in KV and answer challenge commands from the controller", async () => {
    // What services/acme-solver/src/tokens.ts does: watch every key, put, get, delete, status.
    const kv = await ensureKv(buses["acme-solver"], "http01Tokens");
    const watch = await kv.watch({ key: ">" });
    const watched: string[] = [];
    const watching = (async () => {
      for await (const e of watch) {
        watched.push(`${e.operation} ${e.key}`);
        if (e.operation === "DEL") break;
      }
    })();
    await kv.put("token-1", "token-1.thumbprint");
    expect((await kv.get("token-1"))?.string()).toBe("token-1.thumbprint");
    await kv.delete("token-0");
    await watching;
    expect(watched).toEqual(["PUT token-1", "DEL token-0"]);
    expect((await kv.status()).streamInfo.config.name).toBe("KV_cm_http01_tokens");
    const svc = await serveCommands(buses["acme-solver"], {
      name: SERVICES.acmeSolver.name,
      version: SERVICES.acmeSolver.version,
      queue: SERVICES.acmeSolver.queue,
      endpoints: {
        present: {
          subject: filters.command("challenge", "present"),
          schema: PresentChallengeSchema,
          handler: async (env) => ({ ok: true, message: `serving ${env.data.token}` }),
        },
      },
    });
    const challenge: ResourceRef = { kind: "Challenge", namespace: "apps", name: "web-1", uid: "uid-ch-1" };
    const data = {
      type: "HTTP-01" as const,
      dnsName: "web.example",
      token: "token-1",
      key: "token-1.thumbprint",
    };
    const reply = await sendCommand(
      buses.controller,
      commandSubject("challenge", challenge.uid, "present"),
      makeEnvelope(schemaName("challenge", "present"), challenge, data),
    );
    expect(reply).toEqual({ ok: true, message: "serving token-1" });
    await svc.stop();
  });

  it("keeps the acme-solver away from the event stream and other buckets", async () => {
    await expect(ensureEventStream(buses["acme-solver"])).rejects.toThrow(/Permissions Violation/);
    await expect(ensureKv(buses["acme-solver"], "controllerMembers")).rejects.toThrow(
      /Permissions Violation/,
    );
    expect(
      await published("acme-solver", "challenge", "presented", {
        kind: "Challenge",
        name: "c",
        uid: "uid-ch-2",
      }),
    ).toBe(false);
    expect(await canSubscribe("acme-solver", filters.allEvents())).toBe(false);
  });

  it("lets the viewer replay the stream and nothing else", async () => {
    const seen: string[] = [];
    for await (const e of replayEvents(buses.viewer, { filter: filters.eventsOf(certificate.uid) }))
      seen.push(e.subject);
    expect(seen).toEqual([`cm.v1.evt.certificate.${certificate.uid}.issued`]);
    expect(await canSubscribe("viewer", filters.eventsOf(certificate.uid))).toBe(true);
    expect(
      await published("viewer", "certificate", "issued", { ...certificate, resourceVersion: "10" }),
    ).toBe(false);
    await expect(ensureKv(buses.viewer, "http01Tokens")).rejects.toThrow(/Permissions Violation/);
  });
});
