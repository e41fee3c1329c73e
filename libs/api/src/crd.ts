/**
 * The six cert-manager CustomResourceDefinitions, built from the TypeBox schemas (see openapi.ts for
 * the schema conversion): names, scope, printer columns and selectable fields as cert-manager has them.
 */
import { Type } from "@sinclair/typebox";
import { Resources, type KindName, type ResourceInfo } from "./constants.ts";
import { toStructural, type JSONSchemaProps } from "./openapi.ts";
import { KindSchemas } from "./types.ts";

export interface CustomResourceColumnDefinition {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface CustomResourceDefinitionVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JSONSchemaProps };
  subresources: { status: Record<string, never> };
  additionalPrinterColumns: CustomResourceColumnDefinition[];
  selectableFields?: { jsonPath: string }[];
}

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: {
      plural: string;
      singular: string;
      kind: string;
      listKind: string;
      shortNames?: string[];
      categories: string[];
    };
    scope: "Namespaced" | "Cluster";
    versions: CustomResourceDefinitionVersion[];
  };
}

const readyCondition = (field: string) => `.status.conditions[?(@.type == "Ready")].${field}`;
const AGE: CustomResourceColumnDefinition = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "Time since the object was created.",
};
const ISSUER_REF_SELECTABLE_FIELDS = [
  { jsonPath: ".spec.issuerRef.group" },
  { jsonPath: ".spec.issuerRef.kind" },
  { jsonPath: ".spec.issuerRef.name" },
];

interface KindCrdSettings {
  description: string;
  columns: CustomResourceColumnDefinition[];
  selectableFields?: { jsonPath: string }[];
}

const issuerColumns: CustomResourceColumnDefinition[] = [
  {
    name: "Ready",
    type: "string",
    jsonPath: readyCondition("status"),
    description: "Whether the issuer is ready.",
  },
  {
    name: "Status",
    type: "string",
    jsonPath: readyCondition("message"),
    priority: 1,
    description: "Ready message.",
  },
  AGE,
];

const SETTINGS: Record<KindName, KindCrdSettings> = {
  Certificate: {
    description:
      "A Certificate keeps an up-to-date signed X.509 certificate and its private key in the Secret named " +
      "by spec.secretName, and renews it before it expires.",
    columns: [
      {
        name: "Ready",
        type: "string",
        jsonPath: readyCondition("status"),
        description: "Ready condition status.",
      },
      { name: "Secret", type: "string", jsonPath: ".spec.secretName", description: "Target Secret." },
      {
        name: "Issuer",
        type: "string",
        jsonPath: ".spec.issuerRef.name",
        priority: 1,
        description: "Name of the issuer.",
      },
      {
        name: "Status",
        type: "string",
        jsonPath: readyCondition("message"),
        priority: 1,
        description: "Ready message.",
      },
      {
        name: "Expiration",
        type: "string",
        jsonPath: ".status.notAfter",
        priority: 1,
        description: "Expiry of the current certificate.",
      },
      AGE,
    ],
    selectableFields: ISSUER_REF_SELECTABLE_FIELDS,
  },
  CertificateRequest: {
    description:
      "A CertificateRequest asks an issuer to sign one CSR. It is a one-shot request: its spec is immutable and " +
      "it ends either issued or failed.",
    columns: [
      {
        name: "Approved",
        type: "string",
        jsonPath: '.status.conditions[?(@.type == "Approved")].status',
        description: "Approved condition status.",
      },
      {
        name: "Denied",
        type: "string",
        jsonPath: '.status.conditions[?(@.type == "Denied")].status',
        description: "Denied condition status.",
      },
      {
        name: "Ready",
        type: "string",
        jsonPath: readyCondition("status"),
        description: "Ready condition status.",
      },
      {
        name: "Issuer",
        type: "string",
        jsonPath: ".spec.issuerRef.name",
        description: "Name of the issuer.",
      },
      {
        name: "Requester",
        type: "string",
        jsonPath: ".spec.username",
        description: "User who created the request.",
      },
      {
        name: "Status",
        type: "string",
        jsonPath: readyCondition("message"),
        priority: 1,
        description: "Ready message.",
      },
      AGE,
    ],
    selectableFields: ISSUER_REF_SELECTABLE_FIELDS,
  },
  Issuer: {
    description:
      "An Issuer is a certificate authority that Certificates and CertificateRequests in the same namespace can " +
      "reference in issuerRef.",
    columns: issuerColumns,
  },
  ClusterIssuer: {
    description:
      "A ClusterIssuer is a cluster-scoped certificate authority that Certificates and CertificateRequests in any " +
      "namespace can reference in issuerRef.",
    columns: issuerColumns,
  },
  Order: {
    description: "An Order is one certificate order placed with an ACME server for a CertificateRequest.",
    columns: [
      { name: "State", type: "string", jsonPath: ".status.state", description: "State of the order." },
      {
        name: "Issuer",
        type: "string",
        jsonPath: ".spec.issuerRef.name",
        priority: 1,
        description: "Name of the issuer.",
      },
      {
        name: "Reason",
        type: "string",
        jsonPath: ".status.reason",
        priority: 1,
        description: "Why it is in this state.",
      },
      AGE,
    ],
    selectableFields: ISSUER_REF_SELECTABLE_FIELDS,
  },
  Challenge: {
    description: "A Challenge is one ACME challenge to present and get validated for an Order.",
    columns: [
      { name: "State", type: "string", jsonPath: ".status.state", description: "State of the challenge." },
      { name: "Domain", type: "string", jsonPath: ".spec.dnsName", description: "Name being validated." },
      {
        name: "Reason",
        type: "string",
        jsonPath: ".status.reason",
        priority: 1,
        description: "Why it is in this state.",
      },
      AGE,
    ],
    selectableFields: ISSUER_REF_SELECTABLE_FIELDS,
  },
};

/** Labels put on every CRD in the plain manifests (the Helm templates substitute release values). */
export const CRD_LABELS: Readonly<Record<string, string>> = Object.freeze({
  "app.kubernetes.io/name": "certkeeper",
  "app.kubernetes.io/instance": "certkeeper",
  "app.kubernetes.io/component": "crds",
});

/** The complete OpenAPI schema of one kind (apiVersion, kind, metadata, spec, status). */
export function openAPISchema(kind: KindName): JSONSchemaProps {
  const { spec, status } = KindSchemas[kind];
  const root = Type.Object({
    apiVersion: Type.Optional(
      Type.String({
        description:
          "Versioned schema of this object; servers convert recognised versions to the latest one.",
      }),
    ),
    kind: Type.Optional(Type.String({ description: "REST resource type of this object, in CamelCase." })),
    metadata: Type.Optional(Type.Object({}, { "x-kubernetes-preserve-unknown-fields": true })),
    spec,
    status: Type.Optional(status),
  });
  const out = toStructural(root);
  // The API server owns metadata's schema; a CRD may only say it is an object.
  out.properties!.metadata = { type: "object" };
  return { description: SETTINGS[kind].description, ...out };
}

/** The CustomResourceDefinition of one kind. */
export function crdFor(kind: KindName): CustomResourceDefinition {
  const r: ResourceInfo = Resources[kind];
  const settings = SETTINGS[kind];
  const version: CustomResourceDefinitionVersion = {
    name: r.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: openAPISchema(kind) },
    subresources: { status: {} },
    additionalPrinterColumns: settings.columns.map((c) => ({ ...c })),
    ...(settings.selectableFields
      ? { selectableFields: settings.selectableFields.map((f) => ({ ...f })) }
      : {}),
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${r.plural}.${r.group}`, labels: { ...CRD_LABELS } },
    spec: {
      group: r.group,
      names: {
        plural: r.plural,
        singular: r.singular,
        kind: r.kind,
        listKind: r.listKind,
        ...(r.shortNames.length > 0 ? { shortNames: [...r.shortNames] } : {}),
        categories: [...r.categories],
      },
      scope: r.namespaced ? "Namespaced" : "Cluster",
      versions: [version],
    },
  };
}

export const CRD_KINDS: readonly KindName[] = Object.freeze([
  "Certificate",
  "CertificateRequest",
  "Issuer",
  "ClusterIssuer",
  "Order",
  "Challenge",
]);

/** All six CRDs, fresh objects on every call (safe to mutate, e.g. to apply in tests). */
export function allCrds(): CustomResourceDefinition[] {
  return CRD_KINDS.map(crdFor);
}
