/** How a controller plugs into the app: a name, a reconcile and the watches that feed its queue. */
import type { Reconcile } from "@certkeeper/kube";

export interface ControllerRegistration {
  name: string;
  reconcile: Reconcile;
  /** Registers informer handlers that map changed objects to this controller's keys. */
  watches: (enqueue: (key: string) => void) => void;
  /** Worker count override (default: config.concurrentWorkers). */
  workers?: number;
}
