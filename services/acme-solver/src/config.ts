/** acme-solver configuration: schema → defaults → validate → freeze (libs/config). */
import { Type, type Static } from "@sinclair/typebox";

export const ENV_PREFIX = "CERTKEEPER_ACME_SOLVER";

export const SolverConfigSchema = Type.Object({
  listenHost: Type.String({
    default: "127.0.0.1",
    minLength: 1,
    description: "Address the HTTP-01 server binds; 0.0.0.0 in a cluster.",
  }),
  listenPort: Type.Integer({
    default: 8089,
    minimum: 0,
    maximum: 65535,
    description: "HTTP-01 port (cert-manager's acmesolver uses 8089); 0 picks a free one.",
  }),
  natsUrl: Type.String({ minLength: 1, description: "NATS server URL(s), comma separated." }),
  natsUser: Type.Optional(Type.String({ minLength: 1 })),
  natsPassword: Type.Optional(Type.String()),
  natsCaFile: Type.Optional(Type.String({ minLength: 1, description: "CA bundle; enables TLS to NATS." })),
  natsCertFile: Type.Optional(Type.String({ minLength: 1 })),
  natsKeyFile: Type.Optional(Type.String({ minLength: 1 })),
  logLevel: Type.Union(
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((l) => Type.Literal(l)),
    { default: "info" },
  ),
  healthzRequireNats: Type.Boolean({
    default: false,
    description:
      "Answer /healthz with 503 while NATS is unreachable. Off by default: cached tokens are still " +
      "served without NATS, and failing every replica's probe at once would take HTTP-01 down with it.",
  }),
});
export type SolverConfig = Static<typeof SolverConfigSchema>;

/** The configuration as it may be logged. */
export function redacted(config: SolverConfig): Record<string, unknown> {
  return { ...config, natsPassword: config.natsPassword === undefined ? undefined : "[redacted]" };
}
