/**
 * Dynamic serving TLS: the webhook keeps its own CA in a Secret and serves a short-lived leaf signed
 * by it, renewed and swapped in without a restart.
 *
 *   secret event / timer / start ──▶ sync()
 *     CA Secret missing ──────────▶ create it (AlreadyExists: another replica won; re-read)
 *     CA unusable or at 2/3 life ─▶ replace it (Conflict: re-read)
 *     CA good ────────────────────▶ leaf missing, from another CA, or at 2/3 life? issue a leaf, emit it
 *     then sleep until the next renewal point; on any error retry in 1 s
 *
 * Every replica uses the CA from the Secret, so all serve certificates the same caBundle trusts.
 * Key material stays in memory and in the Secret; it is never logged.
 */
import {
  isAlreadyExists,
  isConflict,
  isNotFound,
  systemClock,
  CoreResources,
  Informer,
} from "@certkeeper/kube";
import type { Clock, KubeClient, Secret, TimerHandle } from "@certkeeper/kube";
import type { Logger } from "@certkeeper/logging";
import { parseCertificate } from "@certkeeper/pki";
import { generateCA, issueServingLeaf, type KeyPair } from "./issue.ts";
import { caFromSecret, caProblem, caSecret, renewalTime } from "./policy.ts";

export interface ServingCertificate extends KeyPair {
  /** PEM of the CA that signed `cert` (what a caBundle must hold). */
  readonly ca: string;
  readonly notAfter: Date;
}

export interface DynamicServingOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly leafDurationMs: number;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Delay before retrying a failed sync (default 1 s). */
  readonly retryMs?: number;
}

export class DynamicServingTLS {
  private readonly clock: Clock;
  private readonly informer: Informer<Secret>;
  private readonly listeners = new Set<(c: ServingCertificate) => void>();
  private leaf: ServingCertificate | undefined;
  private timer: TimerHandle | undefined;
  private running = false;
  private syncing: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly opts: DynamicServingOptions) {
    this.clock = opts.clock ?? systemClock;
    this.informer = new Informer<Secret>({
      client: opts.client,
      resource: CoreResources.secrets,
      namespace: opts.namespace,
      fieldSelector: `metadata.name=${opts.name}`,
      clock: this.clock,
      log: opts.log,
    });
  }

  /** The certificate being served now, if any. */
  current(): ServingCertificate | undefined {
    return this.leaf;
  }

  /** Called with each new serving certificate (and at once with the current one). */
  onChange(fn: (c: ServingCertificate) => void): () => void {
    this.listeners.add(fn);
    if (this.leaf) fn(this.leaf);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const kick = (): void => this.kick();
    this.informer.onAdd(kick);
    this.informer.onUpdate(kick);
    this.informer.onDelete(kick);
    this.informer.start();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    await this.informer.stop();
    await this.syncing;
  }

  /** Runs sync() now, or once more right after the one in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = this.sync().finally(() => {
      this.syncing = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private schedule(ms: number): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => this.kick(), Math.max(0, ms));
  }

  private async readSecret(): Promise<Secret | undefined> {
    if (this.informer.hasSynced()) return this.informer.get(this.opts.namespace, this.opts.name);
    try {
      return await this.opts.client.get<Secret>(CoreResources.secrets, this.opts.namespace, this.opts.name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Puts the Secret as the API server has it now into the cache (or drops it when gone). */
  private async reread(): Promise<void> {
    const { namespace, name } = this.opts;
    try {
      this.informer.observe(await this.opts.client.get<Secret>(CoreResources.secrets, namespace, name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.informer.forget({ metadata: { namespace, name } });
    }
  }

  private async sync(): Promise<void> {
    const { namespace, name, log } = this.opts;
    try {
      const now = this.clock.now();
      const secret = await this.readSecret();
      if (!secret) {
        log.info({ secret_namespace: namespace, secret_name: name }, "creating webhook CA secret");
        const ca = await generateCA(now);
        try {
          this.informer.observe(
            await this.opts.client.create<Secret>(CoreResources.secrets, caSecret(namespace, name, ca)),
          );
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          await this.reread(); // another replica created it first: use theirs
        }
        return this.schedule(0);
      }
      const problem = caProblem(secret, now);
      if (problem) {
        log.info(
          { secret_namespace: namespace, secret_name: name, reason: problem.reason },
          `regenerating webhook CA: ${problem.message}`,
        );
        const ca = await generateCA(now);
        try {
          this.informer.observe(
            await this.opts.client.replace<Secret>(
              CoreResources.secrets,
              caSecret(namespace, name, ca, secret),
            ),
          );
        } catch (err) {
          if (!isConflict(err) && !isNotFound(err)) throw err;
          await this.reread();
        }
        return this.schedule(0);
      }
      const ca = caFromSecret(secret);
      if (!this.leaf || this.leaf.ca !== ca.cert || now >= renewalTime(parseCertificate(this.leaf.cert))) {
        const pair = await issueServingLeaf(ca, { ...this.opts, durationMs: this.opts.leafDurationMs }, now);
        const notAfter = parseCertificate(pair.cert).notAfter;
        this.leaf = { ...pair, ca: ca.cert, notAfter };
        log.info(
          { not_after: notAfter.toISOString(), dns_names: this.opts.dnsNames },
          "serving certificate updated",
        );
        for (const fn of this.listeners) {
          try {
            fn(this.leaf);
          } catch (err) {
            log.error({ err: (err as Error).message }, "serving certificate listener failed");
          }
        }
      }
      const next = Math.min(
        renewalTime(parseCertificate(ca.cert)).getTime(),
        renewalTime(parseCertificate(this.leaf.cert)).getTime(),
      );
      this.schedule(next - now.getTime());
    } catch (err) {
      log.warn(
        { err: (err as Error).message, retry_in_ms: this.opts.retryMs ?? 1000 },
        "webhook TLS sync failed; retrying",
      );
      this.schedule(this.opts.retryMs ?? 1000);
    }
  }
}
