/**
 * Builds the webhook's three HTTP apps without opening any socket (main.ts listens):
 *   webhook  HTTPS  POST /validate, POST /mutate   (AdmissionReview v1; always HTTP 200 + a review)
 *   health   HTTP   GET /healthz (ready once a serving certificate is loaded), GET /livez
 *   metrics  HTTP   GET /metrics
 * The serving certificate is swapped at runtime with setServingCertificate() (no restart).
 */
import type { Logger } from "@certkeeper/logging";
import Fastify, { type FastifyInstance } from "fastify";
import { Decoder } from "./admission/decode.ts";
import { errored, review } from "./admission/review.ts";
import { mutateReview, validateReview, type AdmissionDeps, type Denial } from "./admission.ts";
import { publishDenial, type DenialSink } from "./events.ts";
import { createMetrics, type WebhookMetrics } from "./metrics.ts";
import type { ApprovalDeps } from "./plugins/approval.ts";
import type { KeyPair } from "./tls/issue.ts";

export interface BuildOptions {
  readonly log: Logger;
  /** SubjectAccessReviews and signer discovery for the approval guard. */
  readonly approval: ApprovalDeps;
  /** Where denials are published (NATS); optional. */
  readonly denials?: DenialSink;
  /** Serve the webhook over HTTPS (default true). Tests using inject() may pass false. */
  readonly https?: boolean;
  readonly metrics?: WebhookMetrics;
}

export interface WebhookApps {
  readonly webhook: FastifyInstance;
  readonly health: FastifyInstance;
  readonly metricsApp: FastifyInstance;
  readonly metrics: WebhookMetrics;
  /** Installs a new serving certificate on the HTTPS server; /healthz turns ready. */
  setServingCertificate(pair: KeyPair): void;
  close(): Promise<void>;
}

/** AdmissionReviews can hold an object and its old version, each up to the API server's 3 MiB. */
const BODY_LIMIT = 16 * 1024 * 1024;
/** Idle keep-alive of the admission server (see below). */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;

/** Marks a body that is not JSON, so the route still answers with an AdmissionReview. */
const NOT_JSON = Symbol("not-json");

export function build(opts: BuildOptions): WebhookApps {
  const log = opts.log;
  const metrics = opts.metrics ?? createMetrics();
  const decoder = new Decoder();
  let ready = false;

  const deps: AdmissionDeps = {
    decoder,
    approval: opts.approval,
    log: log.child({ component: "admission" }),
    onDenied: (d: Denial) => {
      metrics.denials.inc({ kind: d.kind, operation: d.operation });
      if (opts.denials) publishDenial(opts.denials, d);
    },
  };

  const webhook: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    // Longer than the API server's idle-connection timeout (Go's 90 s), so the caller always
    // closes an idle connection first; with fastify's 72 s a request could race our close.
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    ...(opts.https === false ? {} : { https: {} }),
  }) as unknown as FastifyInstance;

  webhook.removeAllContentTypeParsers();
  webhook.addContentTypeParser("*", { parseAs: "string", bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(null, NOT_JSON);
    }
  });

  const route = (path: string, handle: (body: unknown) => Promise<unknown> | unknown): void => {
    webhook.post(path, async (req, reply) => {
      const end = metrics.latency.startTimer({ webhook: path });
      metrics.inFlight.inc({ webhook: path });
      try {
        const body = req.body === NOT_JSON ? undefined : req.body;
        const out =
          body === undefined ? review(errored("", 400, "request body is not JSON")) : await handle(body);
        metrics.requests.inc({ webhook: path, code: "200" });
        return reply.code(200).type("application/json").send(out);
      } finally {
        metrics.inFlight.dec({ webhook: path });
        end();
      }
    });
  };
  route("/validate", (body) => validateReview(body, deps));
  route("/mutate", (body) => mutateReview(body));

  // Whatever goes wrong (an oversized body, a bug), the API server still gets an AdmissionReview.
  webhook.setErrorHandler((err, _req, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) log.error({ err: (err as Error).message }, "admission request failed");
    void reply
      .code(200)
      .type("application/json")
      .send(review(errored("", status, (err as Error).message)));
  });

  const health: FastifyInstance = Fastify({ logger: false });
  health.get("/healthz", async (_req, reply) =>
    ready
      ? reply.type("text/plain").send("ok")
      : reply.code(503).type("text/plain").send("no serving certificate yet"),
  );
  health.get("/livez", async (_req, reply) => reply.type("text/plain").send("ok"));

  const metricsApp: FastifyInstance = Fastify({ logger: false });
  metricsApp.get("/metrics", async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  return {
    webhook,
    health,
    metricsApp,
    metrics,
    setServingCertificate(pair: KeyPair): void {
      const server = webhook.server as unknown as {
        setSecureContext?: (o: { key: string; cert: string }) => void;
        closeIdleConnections?: () => void;
      };
      if (server.setSecureContext) {
        server.setSecureContext({ key: pair.key, cert: pair.cert });
        // Kept-alive connections still speak the old certificate; make clients handshake again.
        server.closeIdleConnections?.();
      }
      ready = true;
    },
    async close(): Promise<void> {
      await Promise.all([webhook.close(), health.close(), metricsApp.close()]);
    },
  };
}
