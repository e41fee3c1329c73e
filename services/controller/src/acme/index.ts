/**
 * The ACME issuer in the controller: accounts (issuer readiness), the CertificateRequest signer,
 * Orders, Challenges and their scheduler. `buildAcme` assembles everything from the controller's
 * Deps; the app starts `informers` with its own and registers `registrations`.
 */
import { Type, type Static } from "@sinclair/typebox";
import { parseGoDuration } from "@certkeeper/api";
import type { Bus } from "@certkeeper/bus";
import type { Registry } from "prom-client";
import type { Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { acmeRequestController } from "../certificaterequests/acme.ts";
import { AccountRegistry } from "./account.ts";
import { acmeInformers, buildAcmeCaches, type AcmeCaches } from "./caches.ts";
import { challengeController } from "./challenges.ts";
import {
  DEFAULT_ACME_SETTINGS,
  natsChallengeSolver,
  type AcmeDeps,
  type AcmeSettings,
  type ChallengeSolver,
} from "./deps.ts";
import { acmeClusterIssuerController, acmeIssuerController } from "./issuer.ts";
import {
  registerAcmeClientMetrics,
  registerChallengeStatusMetric,
  type AcmeClientMetrics,
} from "./metrics.ts";
import { orderController } from "./orders.ts";
import { challengeSchedulerController } from "./scheduler.ts";

export { acmeIssuerController, acmeClusterIssuerController } from "./issuer.ts";
export { orderController } from "./orders.ts";
export { challengeController } from "./challenges.ts";
export { challengeSchedulerController } from "./scheduler.ts";
export { acmeRequestController } from "../certificaterequests/acme.ts";
export {
  registerAcmeClientMetrics,
  registerChallengeStatusMetric,
  type AcmeClientMetrics,
} from "./metrics.ts";
export { buildAcmeCaches, acmeInformers, type AcmeCaches } from "./caches.ts";
export {
  DEFAULT_ACME_SETTINGS,
  natsChallengeSolver,
  type AcmeDeps,
  type AcmeSettings,
  type ChallengeSolver,
} from "./deps.ts";
export { AccountRegistry } from "./account.ts";

/** Controller flags of the ACME issuer; spread into ControllerConfigSchema. */
export const AcmeConfigFields = {
  maxConcurrentChallenges: Type.Integer({
    default: 60,
    minimum: 1,
    description: "Challenges processed at once (cert-manager --max-concurrent-challenges).",
  }),
  dns01CheckRetryPeriod: Type.String({
    default: "10s",
    description: "Wait before re-checking a challenge that is not propagated yet (HTTP-01 and DNS-01).",
  }),
  http01SelfCheckAddress: Type.Optional(
    Type.String({
      description: "host:port the HTTP-01 self-check connects to (with Host: <domain>); default <domain>:80.",
    }),
  ),
  http01SelfCheckPasses: Type.Integer({
    default: 5,
    minimum: 1,
    description: "Consecutive successful self-check requests required.",
  }),
  http01SelfCheckInterval: Type.String({ default: "2s", description: "Pause between self-check requests." }),
  http01SelfCheckTimeout: Type.String({ default: "10s", description: "Timeout of one self-check request." }),
  acmeHttp01SolverServiceName: Type.String({
    default: "certkeeper-acme-solver",
    description: "Service HTTP-01 solver Ingresses route to.",
  }),
  acmeHttp01SolverServicePort: Type.Integer({ default: 80, minimum: 1, maximum: 65535 }),
  acmeHttp01Ingress: Type.Boolean({
    default: true,
    description: "Create/edit Ingresses for HTTP-01 solvers with http01.ingress.",
  }),
};
export const AcmeConfigSchema = Type.Object(AcmeConfigFields);
export type AcmeConfig = Static<typeof AcmeConfigSchema>;

/** AcmeSettings from the controller's (validated) config. */
export function acmeSettingsFromConfig(c: AcmeConfig): AcmeSettings {
  return {
    ...DEFAULT_ACME_SETTINGS,
    maxConcurrentChallenges: c.maxConcurrentChallenges,
    checkRetryPeriodMs: parseGoDuration(c.dns01CheckRetryPeriod),
    ...(c.http01SelfCheckAddress ? { http01SelfCheckAddress: c.http01SelfCheckAddress } : {}),
    http01SelfCheckPasses: c.http01SelfCheckPasses,
    http01SelfCheckIntervalMs: parseGoDuration(c.http01SelfCheckInterval),
    http01SelfCheckTimeoutMs: parseGoDuration(c.http01SelfCheckTimeout),
    http01SolverServiceName: c.acmeHttp01SolverServiceName,
    http01SolverServicePort: c.acmeHttp01SolverServicePort,
    http01Ingress: c.acmeHttp01Ingress,
  };
}

export interface BuildAcmeOptions {
  deps: Deps;
  settings?: Partial<AcmeSettings>;
  /** The controller's NATS connection, once there is one. */
  getBus?: () => Bus | undefined;
  /** Replaces the NATS acme-solver client (tests). */
  solver?: ChallengeSolver;
  /** Registry for certmanager_http_acme_client_* and ..._challenge_status (or a client-metrics recorder). */
  metrics?: Registry | AcmeClientMetrics;
  caches?: AcmeCaches;
  selfCheck?: AcmeDeps["selfCheck"];
}

export interface Acme {
  deps: AcmeDeps;
  informers: ReturnType<typeof acmeInformers>;
  registrations: ControllerRegistration[];
}

export function buildAcme(opts: BuildAcmeOptions): Acme {
  const { deps } = opts;
  const settings = Object.freeze({ ...DEFAULT_ACME_SETTINGS, ...opts.settings });
  const caches = opts.caches ?? buildAcmeCaches(deps.client, deps.clock, deps.log);
  let metrics: AcmeClientMetrics | undefined;
  if (opts.metrics && "observe" in opts.metrics) {
    metrics = opts.metrics;
  } else if (opts.metrics) {
    metrics = registerAcmeClientMetrics(opts.metrics);
    registerChallengeStatusMetric(opts.metrics, caches.challenges);
  }
  const acme: AcmeDeps = {
    caches,
    settings,
    solver:
      opts.solver ?? natsChallengeSolver(opts.getBus ?? (() => undefined), settings.solverCommandTimeoutMs),
    accounts: new AccountRegistry({
      clusterResourceNamespace: deps.settings.clusterResourceNamespace,
      getSecret: (ns, name) => deps.caches.secrets.getSecret(ns, name),
      timeoutMs: settings.acmeRequestTimeoutMs,
      ...(settings.userAgent ? { userAgent: settings.userAgent } : {}),
      ...(metrics ? { metrics } : {}),
    }),
    ...(opts.selfCheck ? { selfCheck: opts.selfCheck } : {}),
  };
  return {
    deps: acme,
    informers: acmeInformers(caches),
    registrations: [
      acmeIssuerController(deps, acme),
      acmeClusterIssuerController(deps, acme),
      acmeRequestController(deps, acme),
      orderController(deps, acme),
      { ...challengeController(deps, acme), workers: settings.maxConcurrentChallenges },
      challengeSchedulerController(deps, acme),
    ],
  };
}
