/**
 * Builds the acme-solver: the HTTP-01 server plus the NATS command service over one token store.
 *
 *   start: connect NATS (unless a bus is given) → open/create the KV bucket → watch it
 *          → serve commands (queue group) → listen for HTTP
 *   stop:  stop HTTP → stop commands → stop the watch → drain the bus it connected
 *
 * Listening comes last, so a replica that answers /healthz also accepts commands and reads tokens.
 */
import type { Server } from "node:http";
import type { FastifyInstance } from "fastify";
import type { KV } from "@nats-io/kv";
import { connectBus, ensureKv, serveCommands, type Bus, type CommandService } from "@certkeeper/bus";
import { KV_BUCKETS, SERVICES } from "@certkeeper/contracts";
import type { Logger } from "@certkeeper/logging";
import { solverEndpoints } from "./commands.ts";
import type { SolverConfig } from "./config.ts";
import { buildHttp } from "./http.ts";
import { TokenStore } from "./tokens.ts";

export interface AppOptions {
  config: SolverConfig;
  log: Logger;
  /** An already-connected bus (tests); otherwise start() connects with the config's NATS settings. */
  bus?: Bus;
  now?: () => number;
}

export interface SolverApp {
  readonly http: FastifyInstance<Server>;
  /** Set once started. */
  readonly tokens: TokenStore | undefined;
  /** The services framework instance id (`$SRV.PING.<name>.<id>`), once started. */
  readonly serviceId: string | undefined;
  /** Resolves when everything runs; `signal` aborts waiting for NATS. */
  start(signal?: AbortSignal): Promise<{ address: string; port: number }>;
  stop(): Promise<void>;
}

const CLIENT_NAME = "certkeeper-acme-solver";

export function build(opts: AppOptions): SolverApp {
  const { config, log } = opts;
  let bus = opts.bus;
  let tokens: TokenStore | undefined;
  let commands: CommandService | undefined;
  let listening = false;

  const http = buildHttp({
    log,
    tokens: { lookup: async (token) => (tokens ? tokens.lookup(token) : undefined) },
    ...(config.healthzRequireNats ? { healthy: () => bus?.isConnected() ?? false } : {}),
  });

  return {
    http,
    get tokens() {
      return tokens;
    },
    get serviceId() {
      return commands?.id;
    },

    async start(signal) {
      bus ??= await connectBus({
        servers: config.natsUrl.split(",").map((s) => s.trim()),
        name: CLIENT_NAME,
        logger: log,
        ...(config.natsUser !== undefined ? { user: config.natsUser, pass: config.natsPassword ?? "" } : {}),
        ...(tlsWanted(config) ? { tls: tlsOptions(config) } : {}),
        ...(signal ? { signal } : {}),
      });
      const kv = await openBucket(bus, log, signal);
      tokens = new TokenStore({
        kv,
        bus,
        log,
        ttlMs: KV_BUCKETS.http01Tokens.ttlSeconds * 1000,
        now: opts.now,
      });
      await tokens.start();
      commands = await serveCommands(bus, {
        ...SERVICES.acmeSolver,
        description: "Presents and cleans up ACME challenges (HTTP-01)",
        endpoints: solverEndpoints({ tokens, log }),
      });
      await http.listen({ host: config.listenHost, port: config.listenPort });
      listening = true;
      const addr = http.server.address();
      const port = addr !== null && typeof addr === "object" ? addr.port : config.listenPort;
      log.info({ host: config.listenHost, port, service_id: commands.id }, "acme-solver started");
      return { address: `http://${hostForUrl(config.listenHost)}:${port}`, port };
    },

    async stop() {
      if (listening) await http.close();
      else await http.close().catch(() => undefined);
      listening = false;
      await commands
        ?.stop()
        .catch((err: unknown) => log.warn({ err }, "stopping the command service failed"));
      await tokens?.stop();
      if (bus && !opts.bus) await bus.drain().catch(() => bus?.close());
    },
  };
}

/** ensureKv, retried while JetStream is not there yet (a server still starting, a restart). */
async function openBucket(bus: Bus, log: Logger, signal?: AbortSignal): Promise<KV> {
  let backoff = 250;
  for (;;) {
    try {
      return await ensureKv(bus, "http01Tokens");
    } catch (err) {
      if (signal?.aborted) throw err;
      log.warn({ err: (err as Error).message, retry_in_ms: backoff }, "cannot open the token bucket yet");
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 5000);
    }
  }
}

function tlsWanted(config: SolverConfig): boolean {
  return [config.natsCaFile, config.natsCertFile, config.natsKeyFile].some((f) => f !== undefined);
}

function tlsOptions(config: SolverConfig): { caFile?: string; certFile?: string; keyFile?: string } {
  return {
    ...(config.natsCaFile !== undefined ? { caFile: config.natsCaFile } : {}),
    ...(config.natsCertFile !== undefined ? { certFile: config.natsCertFile } : {}),
    ...(config.natsKeyFile !== undefined ? { keyFile: config.natsKeyFile } : {}),
  };
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
