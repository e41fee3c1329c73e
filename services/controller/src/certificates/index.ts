/**
 * The six Certificate sub-controllers. Each reconciles Certificates ("namespace/name" keys) and
 * is woken by changes to the Certificate, its Secret, its next-key Secret and its requests.
 */
import { Annotations } from "@certkeeper/api";
import { objectKey, type KubeObject } from "@certkeeper/kube";
import { Index, type Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { ISSUING_CONTROLLER, issuingReconciler } from "./issuing.ts";
import { KEY_MANAGER_CONTROLLER, keyManagerReconciler } from "./keymanager.ts";
import { READINESS_CONTROLLER, readinessReconciler } from "./readiness.ts";
import { REQUEST_MANAGER_CONTROLLER, requestManagerReconciler } from "./requestmanager.ts";
import { REVISION_MANAGER_CONTROLLER, revisionManagerReconciler } from "./revisionmanager.ts";
import { TRIGGER_CONTROLLER, triggerReconciler } from "./trigger.ts";

/** Maps any object related to Certificates to the keys of those Certificates. */
export function certificateWatches(deps: Deps): (enqueue: (key: string) => void) => void {
  const { certificates, certificateRequests, secrets } = deps.caches;
  return (enqueue) => {
    const byOwner = (o: KubeObject) => {
      for (const ref of o.metadata.ownerReferences ?? []) {
        if (ref.kind !== "Certificate") continue;
        for (const c of certificates.byIndex(Index.uid, ref.uid)) enqueue(objectKey(c));
      }
    };
    const bySecret = (o: KubeObject) => {
      byOwner(o);
      for (const c of certificates.byIndex(Index.secretName, `${o.metadata.namespace}/${o.metadata.name}`)) {
        enqueue(objectKey(c));
      }
      const named = o.metadata.annotations?.[Annotations.CertificateName];
      if (named && o.metadata.namespace) enqueue(`${o.metadata.namespace}/${named}`);
    };
    certificates.onAdd((c) => enqueue(objectKey(c)));
    certificates.onUpdate((_old, c) => enqueue(objectKey(c)));
    certificates.onDelete((c) => enqueue(objectKey(c)));
    for (const ev of ["onAdd", "onDelete"] as const) {
      certificateRequests[ev](byOwner);
      secrets[ev](bySecret);
    }
    certificateRequests.onUpdate((_o, n) => byOwner(n));
    secrets.onUpdate((_o, n) => bySecret(n));
  };
}

export function certificateControllers(deps: Deps): ControllerRegistration[] {
  const watches = certificateWatches(deps);
  return [
    { name: TRIGGER_CONTROLLER, reconcile: triggerReconciler(deps), watches },
    { name: KEY_MANAGER_CONTROLLER, reconcile: keyManagerReconciler(deps), watches },
    { name: REQUEST_MANAGER_CONTROLLER, reconcile: requestManagerReconciler(deps), watches },
    { name: ISSUING_CONTROLLER, reconcile: issuingReconciler(deps), watches },
    { name: READINESS_CONTROLLER, reconcile: readinessReconciler(deps), watches },
    { name: REVISION_MANAGER_CONTROLLER, reconcile: revisionManagerReconciler(deps), watches },
  ];
}
