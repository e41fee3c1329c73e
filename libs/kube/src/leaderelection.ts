/**
 * Lease-based leader election (coordination.k8s.io/v1), client-go's algorithm:
 *
 *   candidate ──(every retryPeriod) try acquire──► leader ──(every retryPeriod) renew
 *       ▲   lease free, expired (by our own observation     │
 *       │   clock, not the holder's timestamps) or ours     │ no successful renew for renewDeadline,
 *       │                                                   │ or another holder seen → lost
 *       └────────────── run() returns ◄─────────────────────┘ (onStoppedLeading)
 *
 * On a clean stop the leader releases the Lease (empty holder, 1 s duration) so a standby takes
 * over within one retryPeriod instead of waiting out leaseDuration.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { silentLogger, type Logger } from "@certkeeper/logging";
import type { KubeClient } from "./client.ts";
import { sleep, systemClock, type Clock } from "./clock.ts";
import { isAlreadyExists, isConflict, isNotFound } from "./errors.ts";
import { formatMicroTime } from "./status.ts";
import { CoreResources, type KubeObject } from "./types.ts";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  client: KubeClient;
  /** Namespace and name of the Lease (cert-manager: kube-system / cert-manager-controller). */
  namespace: string;
  name: string;
  /** Default: hostname + random suffix. */
  identity?: string;
  /** Defaults as cert-manager: 60 s / 40 s / 15 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Release the Lease when stopped while leading (default true). */
  releaseOnCancel?: boolean;
  /** Called once leadership is acquired; `signal` aborts when it is lost or on stop. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading?: () => void;
  /** Called when a different holder is observed. */
  onNewLeader?: (identity: string) => void;
  clock?: Clock;
  log?: Logger;
}

type Attempt = "acquired" | "held" | "failed";

export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString("hex")}`;
}

export class LeaderElector {
  readonly identity: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private leading = false;
  private observed: { key: string; at: number } | undefined;
  private lastHolder: string | undefined;
  private stopper = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.identity = opts.identity ?? defaultIdentity();
    this.clock = opts.clock ?? systemClock;
    this.leaseMs = opts.leaseDurationMs ?? 60_000;
    this.renewMs = opts.renewDeadlineMs ?? 40_000;
    this.retryMs = opts.retryPeriodMs ?? 15_000;
    if (!(this.leaseMs > this.renewMs && this.renewMs > this.retryMs)) {
      throw new RangeError("leader election needs leaseDuration > renewDeadline > retryPeriod");
    }
    this.log = (opts.log ?? silentLogger()).child({
      lease: `${opts.namespace}/${opts.name}`,
      identity: this.identity,
    });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, leads, and resolves once leadership is lost or stop() was called. */
  run(): Promise<void> {
    this.running ??= this.campaign(this.stopper.signal);
    return this.running;
  }

  /** Stops campaigning or leading (releasing the Lease if held) and waits for run() to end. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
  }

  private async campaign(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      if ((await this.tryAcquireOrRenew(stop)) === "acquired") break;
      await sleep(this.clock, this.retryMs * (1 + Math.random() * 0.2), stop);
    }
    if (stop.aborted) return;

    this.leading = true;
    this.log.info("acquired leadership");
    const leadership = new AbortController();
    // Not awaited: the callback typically runs controllers until `signal` aborts, while this
    // loop keeps renewing.
    void Promise.resolve()
      .then(() => this.opts.onStartedLeading(leadership.signal))
      .catch((err: unknown) => this.log.error({ err }, "onStartedLeading failed"));

    let lastRenew = this.clock.now().getTime();
    while (!stop.aborted) {
      if (!(await sleep(this.clock, this.retryMs, stop))) break;
      const remaining = lastRenew + this.renewMs - this.clock.now().getTime();
      const result = await this.tryAcquireOrRenew(stop, Math.max(1, remaining));
      if (result === "acquired") {
        lastRenew = this.clock.now().getTime();
        continue;
      }
      if (result === "held") {
        this.log.warn("another holder has the lease; leadership lost");
        break;
      }
      if (this.clock.now().getTime() - lastRenew >= this.renewMs) {
        this.log.warn(
          { renew_deadline_ms: this.renewMs },
          "failed to renew within the deadline; leadership lost",
        );
        break;
      }
    }

    this.leading = false;
    leadership.abort();
    if (stop.aborted && this.opts.releaseOnCancel !== false) await this.release();
    try {
      this.opts.onStoppedLeading?.();
    } catch (err) {
      this.log.error({ err }, "onStoppedLeading failed");
    }
  }

  /** One round trip: GET the Lease, then create it, take it over, renew it, or leave it. */
  private async tryAcquireOrRenew(stop: AbortSignal, timeoutMs = this.renewMs): Promise<Attempt> {
    const ac = new AbortController();
    const onStop = () => ac.abort();
    stop.addEventListener("abort", onStop, { once: true });
    const timer = this.clock.setTimeout(() => ac.abort(), timeoutMs);
    const signal = ac.signal;
    const { client, namespace, name } = this.opts;
    const now = this.clock.now();
    const spec = (prev?: LeaseSpec): LeaseSpec => ({
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime:
        prev?.holderIdentity === this.identity && prev.acquireTime ? prev.acquireTime : formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions:
        (prev?.leaseTransitions ?? 0) + (prev && prev.holderIdentity !== this.identity ? 1 : 0),
    });
    try {
      let lease: Lease;
      try {
        lease = await client.get<Lease>(CoreResources.leases, namespace, name, { signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const created = await client.create<Lease>(CoreResources.leases, {
          metadata: { namespace, name },
          spec: { ...spec(), leaseTransitions: 0 },
        });
        this.observe(created.spec ?? {});
        return "acquired";
      }
      const cur = lease.spec ?? {};
      this.observe(cur);
      const holder = cur.holderIdentity ?? "";
      const expiresAt = this.observed!.at + (cur.leaseDurationSeconds ?? 0) * 1000;
      if (holder !== "" && holder !== this.identity && expiresAt > now.getTime()) return "held";
      const updated = await client.replace<Lease>(
        CoreResources.leases,
        { ...lease, spec: spec(cur) },
        { signal },
      );
      this.observe(updated.spec ?? {});
      return "acquired";
    } catch (err) {
      if (!stop.aborted && !isConflict(err) && !isAlreadyExists(err)) {
        this.log.debug({ err }, "lease round trip failed");
      }
      return "failed";
    } finally {
      this.clock.clearTimeout(timer);
      stop.removeEventListener("abort", onStop);
    }
  }

  /** Tracks when *we* last saw the record change: expiry is judged by our clock, not theirs. */
  private observe(spec: LeaseSpec): void {
    const key = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseTransitions]);
    if (this.observed?.key !== key) this.observed = { key, at: this.clock.now().getTime() };
    const holder = spec.holderIdentity ?? "";
    if (holder && holder !== this.lastHolder) {
      this.lastHolder = holder;
      if (holder !== this.identity) this.opts.onNewLeader?.(holder);
    }
  }

  private async release(): Promise<void> {
    const { client, namespace, name } = this.opts;
    try {
      const lease = await client.get<Lease>(CoreResources.leases, namespace, name);
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = formatMicroTime(this.clock.now());
      await client.replace<Lease>(CoreResources.leases, {
        ...lease,
        spec: {
          holderIdentity: "",
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: lease.spec.leaseTransitions ?? 0,
        },
      });
      this.log.info("released the lease");
    } catch (err) {
      this.log.warn({ err }, "could not release the lease; standbys will wait for it to expire");
    }
  }
}
