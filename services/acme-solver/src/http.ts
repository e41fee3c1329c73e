/**
 * The HTTP-01 server, cert-manager's acmesolver behaviour over many tokens:
 *
 *   GET /  and  GET /healthz                      → 200
 *   GET /.well-known/acme-challenge/<token>        → 200 + exact key authorization, text/plain,
 *                                                    only when Host matches the token's domain
 *   anything else (wrong host, unknown token, …)   → 404
 *
 * Every response carries `Cache-Control: no-cache, no-store, must-revalidate`, so no proxy keeps a
 * 404 from before a present. Reading the request headers may take at most 32 s.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "@certkeeper/logging";
import { hostMatches, hostOf, isValidToken, tokenPrefix } from "./host.ts";
import type { TokenLookup } from "./tokens.ts";

export const CHALLENGE_PATH = "/.well-known/acme-challenge/";
export const READ_HEADER_TIMEOUT_MS = 32_000;
const NO_CACHE = "no-cache, no-store, must-revalidate";

export interface HttpDeps {
  tokens: TokenLookup;
  log: Logger;
  /** /healthz answers 503 while this returns false. */
  healthy?: () => boolean;
}

export function buildHttp(deps: HttpDeps): FastifyInstance<Server> {
  const log = deps.log.child({ component: "http" });
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: 300 },
    // Only GETs without bodies are served; no reason to buffer more.
    bodyLimit: 1024,
    serverFactory: (handler) =>
      createServer(
        {
          headersTimeout: READ_HEADER_TIMEOUT_MS,
          requestTimeout: 60_000,
          connectionsCheckingInterval: 1_000,
        },
        handler as (req: IncomingMessage, res: ServerResponse) => void,
      ),
  });

  app.addHook("onSend", async (_req, reply) => {
    void reply.header("cache-control", NO_CACHE);
  });

  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).type("text/plain; charset=utf-8").send("404 page not found\n");
  });

  const health = (_req: unknown, reply: { code(n: number): { send(): void } }) => {
    reply.code(deps.healthy === undefined || deps.healthy() ? 200 : 503).send();
  };
  app.get("/", health);
  app.get("/healthz", health);

  app.get<{ Params: { token: string } }>(`${CHALLENGE_PATH}:token`, async (req, reply) => {
    const { token } = req.params;
    const host = req.headers.host;
    const record = isValidToken(token) ? await deps.tokens.lookup(token) : undefined;
    if (record === undefined || !hostMatches(host, record.domain)) {
      log.debug(
        { token: tokenPrefix(token), host: hostOf(host), known: record !== undefined },
        "no challenge for this token and host",
      );
      return reply.callNotFound();
    }
    log.info({ token: tokenPrefix(token), domain: record.domain }, "served HTTP-01 challenge");
    return reply.code(200).type("text/plain; charset=utf-8").send(record.key);
  });

  return app;
}
