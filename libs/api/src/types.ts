/**
 * Kubernetes object wrappers for the six kinds, in their JSON wire form (timestamps are RFC 3339
 * strings, byte fields base64 strings), plus the spec/status schema table per kind.
 */
import type { ACME_API_VERSION, CERT_MANAGER_API_VERSION, KindName } from "./constants.ts";
import {
  CertificateRequestSpecSchema,
  CertificateRequestStatusSchema,
  CertificateSpecSchema,
  CertificateStatusSchema,
  ChallengeSpecSchema,
  ChallengeStatusSchema,
  IssuerSpecSchema,
  IssuerStatusSchema,
  OrderSpecSchema,
  OrderStatusSchema,
  type CertificateRequestSpec,
  type CertificateRequestStatus,
  type CertificateSpec,
  type CertificateStatus,
  type ChallengeSpec,
  type ChallengeStatus,
  type IssuerSpec,
  type IssuerStatus,
  type OrderSpec,
  type OrderStatus,
} from "./schemas/index.ts";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The subset of metav1.ObjectMeta certkeeper reads and writes, in wire form. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

/** metav1.ManagedFieldsEntry: which field manager owns which fields (fieldsV1 is a field set). */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: "Apply" | "Update";
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface KubeObject<ApiVersion extends string, Kind extends string, Spec, Status> {
  apiVersion: ApiVersion;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export interface KubeList<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

type CM = typeof CERT_MANAGER_API_VERSION;
type ACME = typeof ACME_API_VERSION;

export type Certificate = KubeObject<CM, "Certificate", CertificateSpec, CertificateStatus>;
export type CertificateRequest = KubeObject<
  CM,
  "CertificateRequest",
  CertificateRequestSpec,
  CertificateRequestStatus
>;
export type Issuer = KubeObject<CM, "Issuer", IssuerSpec, IssuerStatus>;
export type ClusterIssuer = KubeObject<CM, "ClusterIssuer", IssuerSpec, IssuerStatus>;
export type Order = KubeObject<ACME, "Order", OrderSpec, OrderStatus>;
export type Challenge = KubeObject<ACME, "Challenge", ChallengeSpec, ChallengeStatus>;

/** Either issuer kind; they share spec and status. */
export type GenericIssuer = Issuer | ClusterIssuer;

export type CertificateList = KubeList<Certificate>;
export type CertificateRequestList = KubeList<CertificateRequest>;
export type IssuerList = KubeList<Issuer>;
export type ClusterIssuerList = KubeList<ClusterIssuer>;
export type OrderList = KubeList<Order>;
export type ChallengeList = KubeList<Challenge>;

/** Maps a kind name to its object type. */
export interface ObjectsByKind {
  Certificate: Certificate;
  CertificateRequest: CertificateRequest;
  Issuer: Issuer;
  ClusterIssuer: ClusterIssuer;
  Order: Order;
  Challenge: Challenge;
}

/** TypeBox spec and status schema of each kind (e.g. for `Value.Errors` in the webhook). */
export const KindSchemas = {
  Certificate: { spec: CertificateSpecSchema, status: CertificateStatusSchema },
  CertificateRequest: { spec: CertificateRequestSpecSchema, status: CertificateRequestStatusSchema },
  Issuer: { spec: IssuerSpecSchema, status: IssuerStatusSchema },
  ClusterIssuer: { spec: IssuerSpecSchema, status: IssuerStatusSchema },
  Order: { spec: OrderSpecSchema, status: OrderStatusSchema },
  Challenge: { spec: ChallengeSpecSchema, status: ChallengeStatusSchema },
} as const satisfies Record<KindName, { spec: unknown; status: unknown }>;
