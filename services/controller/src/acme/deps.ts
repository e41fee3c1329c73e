/**
 * What the ACME controllers need besides the controller's Deps: the Order/Challenge caches, the
 * account registry, the acme-solver commands and the ACME settings.
 *
 * Wiring (app.ts):
 *
 *   const acme = buildAcme({ deps, getBus: () => bus, settings: acmeSettingsFromConfig(config), registry })
 *   informers: start acme.informers with the others and wait for their sync
 *   registrations: ...acme.registrations
 */
import type { Challenge } from "@certkeeper/api";
import { sendCommand, type Bus } from "@certkeeper/bus";
import {
  CommandReplySchema,
  commandSubject,
  makeEnvelope,
  schemaName,
  type CleanupChallenge,
  type PresentChallenge,
} from "@certkeeper/contracts";
import type { AccountRegistry } from "./account.ts";
import type { AcmeCaches } from "./caches.ts";

export interface AcmeSettings {
  /** Cap on challenges with processing=true (cert-manager --max-concurrent-challenges, 60). */
  maxConcurrentChallenges: number;
  /** How often the scheduler looks for work (1 s) and how many it starts per look (20). */
  schedulerIntervalMs: number;
  schedulerBatch: number;
  /**
   * host:port the HTTP-01 self-check connects to, sending `Host: <dnsName>`; unset = the name
   * itself on port 80, as cert-manager does. Useful where the name does not resolve to the cluster.
   */
  http01SelfCheckAddress?: string;
  /** Self-check passes (5), the pause between them (2 s) and each request's timeout (10 s). */
  http01SelfCheckPasses: number;
  http01SelfCheckIntervalMs: number;
  http01SelfCheckTimeoutMs: number;
  /** Retry period after a failed propagation check (cert-manager --dns01-check-retry-period, 10 s). */
  checkRetryPeriodMs: number;
  /** Requeue of an Order waiting on the server (5 s). */
  orderRequeueMs: number;
  /** How long accepting a challenge waits for the authorization (2 min) and finalizing for the order. */
  waitAuthorizationTimeoutMs: number;
  waitOrderTimeoutMs: number;
  /** The acme-solver Service solver Ingresses route to. */
  http01SolverServiceName: string;
  http01SolverServicePort: number;
  /** Create / edit Ingresses for HTTP-01 solvers that configure `http01.ingress`. */
  http01Ingress: boolean;
  /** ACME HTTP request timeout (cert-manager: 90 s). */
  acmeRequestTimeoutMs: number;
  /** Timeout of a present/cleanup command to the acme-solver. */
  solverCommandTimeoutMs: number;
  userAgent?: string;
}

export const DEFAULT_ACME_SETTINGS: Readonly<AcmeSettings> = Object.freeze({
  maxConcurrentChallenges: 60,
  schedulerIntervalMs: 1000,
  schedulerBatch: 20,
  http01SelfCheckPasses: 5,
  http01SelfCheckIntervalMs: 2000,
  http01SelfCheckTimeoutMs: 10_000,
  checkRetryPeriodMs: 10_000,
  orderRequeueMs: 5000,
  waitAuthorizationTimeoutMs: 120_000,
  waitOrderTimeoutMs: 30_000,
  http01SolverServiceName: "certkeeper-acme-solver",
  http01SolverServicePort: 80,
  http01Ingress: true,
  acmeRequestTimeoutMs: 90_000,
  solverCommandTimeoutMs: 5000,
});

/** Presents and cleans up challenge responses (the acme-solver service, over NATS). */
export interface ChallengeSolver {
  present(ch: Challenge): Promise<void>;
  cleanup(ch: Challenge): Promise<void>;
}

export interface AcmeDeps {
  caches: AcmeCaches;
  accounts: AccountRegistry;
  solver: ChallengeSolver;
  settings: Readonly<AcmeSettings>;
  /** The HTTP-01 self-check; replaceable in tests. */
  selfCheck?: (ch: Challenge, signal?: AbortSignal) => Promise<void>;
}

/** The controller is not connected to NATS, so the acme-solver cannot be asked to present or clean up; retried. */
export class SolverUnavailableError extends Error {
  readonly code = "CK_ACME_SOLVER_UNAVAILABLE";
  override name = "SolverUnavailableError";
}

function resourceOf(ch: Challenge) {
  const m = ch.metadata;
  return {
    kind: "Challenge",
    ...(m.namespace ? { namespace: m.namespace } : {}),
    name: m.name!,
    uid: m.uid!,
    ...(m.generation !== undefined ? { generation: m.generation } : {}),
    ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
  };
}

/**
 * The acme-solver over NATS: `cm.v1.cmd.challenge.<uid>.present|cleanup`, answered by one replica
 * of the queue group. Only the HTTP-01 key authorization travels (public by design).
 */
export function natsChallengeSolver(getBus: () => Bus | undefined, timeoutMs = 5000): ChallengeSolver {
  const send = async (
    ch: Challenge,
    verb: "present" | "cleanup",
    data: PresentChallenge | CleanupChallenge,
  ) => {
    const bus = getBus();
    if (!bus) throw new SolverUnavailableError("not connected to NATS: cannot reach the acme-solver");
    const env = makeEnvelope(schemaName("challenge", verb), resourceOf(ch), { ...data });
    await sendCommand(bus, commandSubject("challenge", ch.metadata.uid!, verb), env, {
      timeoutMs,
      replySchema: CommandReplySchema,
    });
  };
  return {
    present: (ch) =>
      send(ch, "present", {
        type: ch.spec.type,
        dnsName: ch.spec.dnsName,
        token: ch.spec.token,
        key: ch.spec.key,
      }),
    cleanup: (ch) =>
      send(ch, "cleanup", { type: ch.spec.type, dnsName: ch.spec.dnsName, token: ch.spec.token }),
  };
}
