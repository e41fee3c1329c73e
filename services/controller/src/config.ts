/** Controller configuration: schema → defaults → validate → freeze (libs/config). */
import { Type, type Static } from "@sinclair/typebox";
import { AcmeConfigFields } from "./acme/index.ts";

export const ControllerConfigSchema = Type.Object({
  kubeconfig: Type.Optional(
    Type.String({ description: "Path to a kubeconfig; in-cluster config when unset." }),
  ),
  natsUrl: Type.Optional(
    Type.String({ description: "NATS server URL(s), comma separated. Lifecycle events are off when unset." }),
  ),
  natsUser: Type.Optional(Type.String()),
  natsPassword: Type.Optional(Type.String()),
  clusterResourceNamespace: Type.String({
    default: "cert-manager",
    description: "Namespace of ClusterIssuer Secrets.",
  }),
  concurrentWorkers: Type.Integer({
    default: 5,
    minimum: 1,
    maximum: 1000,
    description: "Workers per controller queue.",
  }),
  certificateRequestMinimumBackoffDuration: Type.String({ default: "1h" }),
  certificateRequestMaximumBackoffDuration: Type.String({ default: "32h" }),
  enableCertificateOwnerRef: Type.Boolean({ default: false }),
  disableAutoApproval: Type.Boolean({ default: false }),
  kubeApiQps: Type.Number({
    default: -1,
    description: "Client-side rate limit; -1 disables it (the API server's priority and fairness applies).",
  }),
  kubeApiBurst: Type.Integer({ default: 50 }),
  metricsListenAddress: Type.String({ default: "0.0.0.0:9402" }),
  healthzListenAddress: Type.String({ default: "0.0.0.0:9403" }),
  sharding: Type.Boolean({
    default: true,
    description:
      "With NATS, share the work among all replicas by rendezvous hashing over live members; off = every replica acts on everything.",
  }),
  logLevel: Type.String({ default: "info" }),
  ...AcmeConfigFields,
});
export type ControllerConfig = Static<typeof ControllerConfigSchema>;
