/**
 * Adapts the bus's EventPublisher to the controllers' Lifecycle interface. Issuance never waits
 * for NATS: until the first connection, events wait in a small bounded buffer and are handed to
 * the publisher (which buffers across later outages itself) once it exists. Without NATS
 * configured (capacity 0) nothing is kept.
 */
import type { EventPublisher } from "@certkeeper/bus";
import type { EventName, ResourceRef, SubjectKind } from "@certkeeper/contracts";
import type { KubeObject } from "@certkeeper/kube";
import type { Lifecycle } from "./context.ts";

/** Only what the envelope needs, so a buffered event does not hold on to the whole object. */
type Pending = [SubjectKind, string, ResourceRef, Record<string, unknown>];

function refOf(kind: string, obj: KubeObject): ResourceRef {
  const m = obj.metadata;
  return {
    kind: (obj as { kind?: string }).kind ?? kind,
    ...(m.namespace ? { namespace: m.namespace } : {}),
    name: m.name!,
    uid: m.uid!,
    ...(m.generation !== undefined ? { generation: m.generation } : {}),
    ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
  };
}

export class DeferredLifecycle implements Lifecycle {
  private publisher: EventPublisher | undefined;
  private pending: Pending[] = [];
  dropped = 0;

  constructor(private readonly capacity = 10_000) {}

  attach(publisher: EventPublisher): void {
    this.publisher = publisher;
    const queued = this.pending;
    this.pending = [];
    for (const [kind, event, ref, data] of queued) this.send(kind, event, ref, data);
  }

  publish<K extends SubjectKind>(
    kind: K,
    event: EventName<K>,
    obj: KubeObject,
    data: Record<string, unknown> = {},
  ): void {
    if (!obj.metadata.uid || !obj.metadata.name) return;
    const ref = refOf(kind, obj);
    if (this.publisher) return this.send(kind, event, ref, data);
    if (this.capacity === 0) return;
    this.pending.push([kind, event, ref, data]);
    if (this.pending.length > this.capacity) {
      this.pending.shift();
      this.dropped++;
    }
  }

  private send(kind: SubjectKind, event: string, ref: ResourceRef, data: Record<string, unknown>): void {
    this.publisher!.publish(kind, event as EventName<typeof kind>, ref, data);
  }
}
