/**
 * Adapts the bus's EventPublisher to the controllers' Lifecycle interface. Issuance never waits
 * for NATS: until the first connection, events wait in a small bounded buffer and are handed to
 * the publisher (which buffers across later outages itself) once it exists.
 */
import type { EventPublisher } from "@certkeeper/bus";
import type { EventName, SubjectKind } from "@certkeeper/contracts";
import type { KubeObject } from "@certkeeper/kube";
import type { Lifecycle } from "./context.ts";

type Pending = [SubjectKind, string, KubeObject, Record<string, unknown>];

export class DeferredLifecycle implements Lifecycle {
  private publisher: EventPublisher | undefined;
  private pending: Pending[] = [];
  dropped = 0;

  constructor(private readonly capacity = 10_000) {}

  attach(publisher: EventPublisher): void {
    this.publisher = publisher;
    const queued = this.pending;
    this.pending = [];
    for (const [kind, event, obj, data] of queued) this.send(kind, event, obj, data);
  }

  publish<K extends SubjectKind>(
    kind: K,
    event: EventName<K>,
    obj: KubeObject,
    data: Record<string, unknown> = {},
  ): void {
    if (!obj.metadata.uid || !obj.metadata.name) return;
    if (this.publisher) return this.send(kind, event, obj, data);
    this.pending.push([kind, event, obj, data]);
    if (this.pending.length > this.capacity) {
      this.pending.shift();
      this.dropped++;
    }
  }

  private send(kind: SubjectKind, event: string, obj: KubeObject, data: Record<string, unknown>): void {
    const m = obj.metadata;
    this.publisher!.publish(
      kind,
      event as EventName<typeof kind>,
      {
        kind: (obj as { kind?: string }).kind ?? kind,
        ...(m.namespace ? { namespace: m.namespace } : {}),
        name: m.name!,
        uid: m.uid!,
        ...(m.generation !== undefined ? { generation: m.generation } : {}),
        ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      },
      data,
    );
  }
}
