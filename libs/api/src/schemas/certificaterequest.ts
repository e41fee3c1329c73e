/** CertificateRequest (cert-manager.io/v1): a one-shot request to sign one CSR. Spec is immutable. */
import { Type, type Static } from "@sinclair/typebox";
import {
  Bytes,
  Condition,
  Conditions,
  Duration,
  IssuerReferenceSchema,
  KeyUsages,
  StringList,
  Time,
} from "./common.ts";

export const CertificateRequestSpecSchema = Type.Object(
  {
    request: Bytes(
      "PEM-encoded PKCS#10 CSR (base64 in JSON). A BasicConstraints extension must agree with isCA; key " +
        "usage extensions must equal usages.",
    ),
    issuerRef: IssuerReferenceSchema,
    duration: Type.Optional(
      Duration("Requested certificate lifetime as a Go duration; issuers may ignore it."),
    ),
    isCA: Type.Optional(
      Type.Boolean({ description: "Request a CA certificate; also implies the cert sign usage." }),
    ),
    usages: Type.Optional(
      KeyUsages(
        "Requested key usages and extended key usages. Defaults to digital signature and key encipherment.",
      ),
    ),
    username: Type.Optional(
      Type.String({ description: "Name of the user who created the request; set by the webhook on create." }),
    ),
    uid: Type.Optional(
      Type.String({ description: "UID of the user who created the request; set by the webhook." }),
    ),
    groups: Type.Optional(StringList("Groups of the user who created the request; set by the webhook.")),
    extra: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String()), {
        description: "Extra attributes of the user who created the request; set by the webhook.",
      }),
    ),
  },
  { description: "Desired state of the CertificateRequest. Immutable after creation." },
);
export type CertificateRequestSpec = Static<typeof CertificateRequestSpecSchema>;

export const CertificateRequestConditionSchema = Condition(
  ["Ready", "InvalidRequest", "Approved", "Denied"],
  false,
);
export type CertificateRequestCondition = Static<typeof CertificateRequestConditionSchema>;

export const CertificateRequestStatusSchema = Type.Object(
  {
    conditions: Type.Optional(
      Conditions(
        CertificateRequestConditionSchema,
        "Current conditions; known types are Ready, InvalidRequest, Approved and Denied.",
      ),
    ),
    certificate: Type.Optional(
      Bytes("PEM-encoded signed certificate chain (leaf first), base64 in JSON. Unset until issued."),
    ),
    ca: Type.Optional(Bytes("PEM-encoded CA certificate of the signer, when the issuer knows it.")),
    failureTime: Type.Optional(Time("When the request failed; used for backoff and garbage collection.")),
  },
  { description: "Observed state of the CertificateRequest, written by the issuer controllers." },
);
export type CertificateRequestStatus = Static<typeof CertificateRequestStatusSchema>;
