/**
 * Building blocks shared by every kind: enum/duration/time helpers and the small reference types
 * (IssuerReference, SecretKeySelector, ...). Everything here must convert to a *structural*
 * OpenAPI schema in crd.ts, so unions are only ever unions of string literals (they become
 * `enum`), maps are `Type.Record(String, X)` (they become `additionalProperties`) and free-form
 * JSON is `Type.Unknown` marked `x-kubernetes-preserve-unknown-fields`.
 */
import { Type, type SchemaOptions, type Static, type TLiteral, type TUnion } from "@sinclair/typebox";

/** A string restricted to `values`. Converted to `{type: string, enum: [...]}` for CRDs. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as TUnion<TLiteral<T[number]>[]>;
}

/**
 * Go `time.ParseDuration` syntax: optional sign, then one or more `<decimal><unit>` pairs, or a bare
 * `0`. Units: ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h.
 */
export const GO_DURATION_PATTERN =
  "^[-+]?(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$";

/** A Go duration string such as "2160h0m0s" or "30m". A JSON number is rejected. */
export function Duration(description: string) {
  return Type.String({ description, pattern: GO_DURATION_PATTERN });
}

/** An RFC 3339 timestamp as written by the API server (metav1.Time). */
export function Time(description: string) {
  return Type.String({ description, format: "date-time" });
}

/** Base64 of raw bytes (Go `[]byte` fields such as PEM blobs). */
export function Bytes(description: string) {
  return Type.String({ description, format: "byte" });
}

/** A list of strings replaced as a whole on server-side apply. */
export function StringList(description: string) {
  return Type.Array(Type.String(), { description, "x-kubernetes-list-type": "atomic" });
}

/** A string → string map (labels, annotations, node selectors). */
export function StringMap(description: string) {
  return Type.Record(Type.String(), Type.String(), { description });
}

/** Arbitrary JSON kept as-is by the API server (no pruning, no type). */
export function AnyJSON(description: string) {
  return Type.Unknown({ description, "x-kubernetes-preserve-unknown-fields": true });
}

/** Arbitrary JSON object kept as-is by the API server. */
export function AnyObject(description: string) {
  return Type.Record(Type.String(), Type.Unknown(), {
    description,
    "x-kubernetes-preserve-unknown-fields": true,
  });
}

export function Int32(description: string, options: SchemaOptions = {}) {
  return Type.Integer({ description, format: "int32", ...options });
}

export function Int64(description: string, options: SchemaOptions = {}) {
  return Type.Integer({ description, format: "int64", ...options });
}

export const IssuerReferenceSchema = Type.Object(
  {
    name: Type.String({ description: "Name of the Issuer or ClusterIssuer (or external issuer) to use." }),
    kind: Type.Optional(Type.String({ description: "Kind of the issuer. An empty value means Issuer." })),
    group: Type.Optional(
      Type.String({ description: "API group of the issuer. An empty value means cert-manager.io." }),
    ),
  },
  {
    description:
      "Which issuer signs the certificate. A namespaced Issuer must live in the same namespace; a " +
      "ClusterIssuer can be used from any namespace.",
  },
);
export type IssuerReference = Static<typeof IssuerReferenceSchema>;

export function LocalObjectReference(description: string) {
  return Type.Object(
    { name: Type.String({ description: "Name of the referenced object in the same namespace." }) },
    { description },
  );
}
export const LocalObjectReferenceSchema = LocalObjectReference("Reference to an object by name.");
export type LocalObjectReference = Static<typeof LocalObjectReferenceSchema>;

export function SecretKeySelector(description: string) {
  return Type.Object(
    {
      name: Type.String({ description: "Name of the Secret." }),
      key: Type.Optional(
        Type.String({
          description:
            "Entry of the Secret's data to read. Some fields have a default key; others require it.",
        }),
      ),
    },
    { description },
  );
}
export const SecretKeySelectorSchema = SecretKeySelector("Reference to one entry of a Secret.");
export type SecretKeySelector = Static<typeof SecretKeySelectorSchema>;

export const CONDITION_STATUSES = ["True", "False", "Unknown"] as const;
export const ConditionStatusSchema = StringEnum(CONDITION_STATUSES, {
  description: "Status of the condition: True, False or Unknown.",
});
export type ConditionStatus = Static<typeof ConditionStatusSchema>;

/**
 * One status condition. `observedGeneration` exists on Certificate and Issuer conditions only,
 * matching cert-manager.
 */
export function Condition(knownTypes: readonly string[], withObservedGeneration: boolean) {
  return Type.Object(
    {
      type: Type.String({ description: `Condition type; known values: ${knownTypes.join(", ")}.` }),
      status: ConditionStatusSchema,
      lastTransitionTime: Type.Optional(Time("When the status of this condition last changed.")),
      reason: Type.Optional(Type.String({ description: "Short CamelCase cause of the last transition." })),
      message: Type.Optional(Type.String({ description: "Human readable details of the last transition." })),
      ...(withObservedGeneration
        ? {
            observedGeneration: Type.Optional(
              Int64("The metadata.generation this condition was computed from; older means stale."),
            ),
          }
        : {}),
    },
    { description: "A condition describing one aspect of the resource's current state." },
  );
}

/** A conditions list: a map keyed by `type`, so server-side apply merges one condition at a time. */
export function Conditions<T extends ReturnType<typeof Condition>>(item: T, description: string) {
  return Type.Array(item, {
    description,
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
  });
}

/** The 23 key usage / extended key usage names accepted in `usages`. */
export const KEY_USAGES = [
  "signing",
  "digital signature",
  "content commitment",
  "key encipherment",
  "key agreement",
  "data encipherment",
  "cert sign",
  "crl sign",
  "encipher only",
  "decipher only",
  "any",
  "server auth",
  "client auth",
  "code signing",
  "email protection",
  "s/mime",
  "ipsec end system",
  "ipsec tunnel",
  "ipsec user",
  "timestamping",
  "ocsp signing",
  "microsoft sgc",
  "netscape sgc",
] as const;
export const KeyUsageSchema = StringEnum(KEY_USAGES, {
  description: "An X.509 key usage (RFC 5280 4.2.1.3) or extended key usage (4.2.1.12).",
});
export type KeyUsage = Static<typeof KeyUsageSchema>;

export function KeyUsages(description: string) {
  return Type.Array(KeyUsageSchema, { description, "x-kubernetes-list-type": "atomic" });
}
