/** The informers the controller reads from, with the indexes its reconcilers use. */
import {
  Annotations,
  issuerRefKind,
  Resources,
  type Certificate,
  type CertificateRequest,
  type ClusterIssuer,
  type Issuer,
} from "@certkeeper/api";
import {
  indexByOwnerUID,
  Informer,
  SecretCache,
  type Clock,
  type KubeClient,
  type KubeObject,
} from "@certkeeper/kube";
import type { Logger } from "@certkeeper/logging";
import { Index, type Caches } from "./context.ts";

const byUID = (o: KubeObject) => (o.metadata.uid ? [o.metadata.uid] : []);

/** cert-manager's field manager for the issued Secret (server-side apply). */
export const ISSUING_FIELD_MANAGER = "cert-manager-certificates-issuing";

export function buildCaches(client: KubeClient, clock: Clock, log: Logger): Caches {
  const common = { client, clock, log };
  return {
    certificates: new Informer<Certificate>({
      ...common,
      resource: Resources.Certificate,
      indexers: {
        [Index.uid]: byUID,
        [Index.secretName]: (c) => [`${c.metadata.namespace}/${c.spec.secretName}`],
        [Index.issuer]: (c) => [
          `${issuerRefKind(c.spec.issuerRef)}/${c.metadata.namespace}/${c.spec.issuerRef.name}`,
        ],
      },
    }),
    certificateRequests: new Informer<CertificateRequest>({
      ...common,
      resource: Resources.CertificateRequest,
      indexers: {
        [Index.ownerUID]: indexByOwnerUID,
        [Index.issuer]: (cr) => {
          const kind = issuerRefKind(cr.spec.issuerRef);
          return [
            kind === "ClusterIssuer"
              ? `ClusterIssuer//${cr.spec.issuerRef.name}`
              : `Issuer/${cr.metadata.namespace}/${cr.spec.issuerRef.name}`,
          ];
        },
      },
    }),
    issuers: new Informer<Issuer>({
      ...common,
      resource: Resources.Issuer,
      indexers: { [Index.uid]: byUID },
    }),
    clusterIssuers: new Informer<ClusterIssuer>({
      ...common,
      resource: Resources.ClusterIssuer,
      indexers: { [Index.uid]: byUID },
    }),
    secrets: new SecretCache({
      ...common,
      // Which labels and annotations our apply set: a key dropped from secretTemplate is then
      // seen as one to remove (cert-manager reads the same managedFields).
      keepManagedFieldsOf: ISSUING_FIELD_MANAGER,
      indexers: {
        [Index.ownerUID]: indexByOwnerUID,
        [Index.certificateName]: (s) => {
          const n = s.metadata.annotations?.[Annotations.CertificateName];
          return n ? [`${s.metadata.namespace}/${n}`] : [];
        },
      },
    }),
  };
}

export function allInformers(c: Caches): Array<{
  start(): void;
  stop(): Promise<void>;
  waitForSync(s?: AbortSignal): Promise<boolean>;
  resync(): void;
}> {
  return [c.certificates, c.certificateRequests, c.issuers, c.clusterIssuers, c.secrets];
}
