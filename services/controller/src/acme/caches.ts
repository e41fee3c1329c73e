/**
 * The ACME informers (Orders, Challenges) with the indexes the ACME controllers use. Built and
 * started next to the main caches (see the wiring note in deps.ts); kept apart so the core
 * controller does not pay for ACME when nobody uses it.
 */
import { Resources, type Challenge, type Order } from "@certkeeper/api";
import { indexByOwnerUID, Informer, type Clock, type KubeClient } from "@certkeeper/kube";
import type { Logger } from "@certkeeper/logging";

export interface AcmeCaches {
  orders: Informer<Order>;
  challenges: Informer<Challenge>;
}

/** Index names on the ACME caches. */
export const AcmeIndex = {
  /** Orders by their owning CertificateRequest's UID; Challenges by their owning Order's UID. */
  ownerUID: "ownerUID",
} as const;

export function buildAcmeCaches(client: KubeClient, clock: Clock, log: Logger): AcmeCaches {
  const common = { client, clock, log };
  return {
    orders: new Informer<Order>({
      ...common,
      resource: Resources.Order,
      indexers: { [AcmeIndex.ownerUID]: indexByOwnerUID },
    }),
    challenges: new Informer<Challenge>({
      ...common,
      resource: Resources.Challenge,
      indexers: { [AcmeIndex.ownerUID]: indexByOwnerUID },
    }),
  };
}

export function acmeInformers(c: AcmeCaches): Array<{
  start(): void;
  stop(): Promise<void>;
  waitForSync(s?: AbortSignal): Promise<boolean>;
  resync(): void;
}> {
  return [c.orders, c.challenges];
}
