/**
 * Every controller replica runs; each work-queue key is owned by exactly one live replica, chosen
 * by rendezvous hashing of the key over the members that heartbeat in the NATS KV bucket
 * `cm_controller_members`. When a replica stops heartbeating its keys move to the others within
 * one TTL; Kubernetes' optimistic concurrency keeps the brief overlap during hand-over harmless.
 *
 *   heartbeat: put(<id>, <now>) every ttl/3      watch: members = ids seen within ttl
 *   owns(key) = argmax over members of fnv1a(member + "/" + key) == self
 *
 * Without NATS (or before the first membership is known) a replica owns every key, so a
 * single-replica install needs none of this.
 */
import { KV_BUCKETS } from "@certkeeper/contracts";
import type { Bus } from "@certkeeper/bus";
import { ensureKv } from "@certkeeper/bus";
import type { Clock } from "@certkeeper/kube";
import type { Logger } from "@certkeeper/logging";

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Pure: the member that owns `key` among `members`. */
export function ownerOf(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const score = fnv1a(`${m}/${key}`);
    if (score > bestScore || (score === bestScore && m < best!)) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

export class Membership {
  private readonly seen = new Map<string, number>();
  private members: string[] = [];
  private timer: ReturnType<Clock["setTimeout"]> | undefined;
  private stopped = false;
  private readonly ttlMs = KV_BUCKETS.controllerMembers.ttlSeconds * 1000;

  constructor(
    readonly id: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onChange: (members: readonly string[]) => void,
  ) {}

  owns(key: string): boolean {
    if (this.members.length === 0) return true;
    return ownerOf(key, this.members) === this.id;
  }

  current(): readonly string[] {
    return this.members;
  }

  async start(bus: Bus): Promise<void> {
    const kv = await ensureKv(bus, "controllerMembers");
    const beat = async () => {
      try {
        await kv.put(this.id, String(this.clock.now().getTime()));
      } catch (err) {
        this.log.debug({ err }, "membership heartbeat failed");
      }
      this.recompute();
      if (!this.stopped) this.timer = this.clock.setTimeout(() => void beat(), this.ttlMs / 3);
    };
    const watch = await kv.watch();
    void (async () => {
      for await (const e of watch) {
        if (e.operation === "PUT") this.seen.set(e.key, Number(e.string()) || this.clock.now().getTime());
        else this.seen.delete(e.key);
        this.recompute();
      }
    })().catch((err: unknown) => this.log.warn({ err }, "membership watch ended"));
    await beat();
    this.stopHook = async () => {
      watch.stop();
      await kv.delete(this.id).catch(() => undefined);
    };
  }

  private stopHook: (() => Promise<void>) | undefined;

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    await this.stopHook?.();
  }

  private recompute(): void {
    const now = this.clock.now().getTime();
    const live = [...this.seen].filter(([, at]) => now - at < this.ttlMs).map(([id]) => id);
    if (!live.includes(this.id)) live.push(this.id);
    live.sort();
    if (live.join(",") === this.members.join(",")) return;
    this.members = live;
    this.log.info({ members: live, self: this.id }, "controller membership changed");
    this.onChange(live);
  }
}
