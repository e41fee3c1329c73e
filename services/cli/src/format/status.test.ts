import { beforeAll, describe, expect, it } from "vitest";
import type { Certificate, CertificateRequest, Challenge, Order } from "@certkeeper/api";
import { parseCertificate } from "@certkeeper/pki";
import { currentRequest } from "../commands/status.ts";
import { aChain, NOW, type Issued } from "./fixtures.ts";
import { formatCertificateStatus, formatEvents, type StatusInput } from "./status.ts";

let leaf: Issued;
beforeAll(async () => {
  ({ leaf } = await aChain());
});

const certificate = {
  apiVersion: "cert-manager.io/v1",
  kind: "Certificate",
  metadata: { name: "web", namespace: "apps", uid: "cert-uid", creationTimestamp: "2026-04-20T10:00:00Z" },
  spec: {
    secretName: "web-tls",
    issuerRef: { name: "le", kind: "ClusterIssuer" },
    dnsNames: ["web.example"],
  },
  status: {
    conditions: [
      {
        type: "Ready",
        status: "False",
        reason: "DoesNotExist",
        message: "Issuing certificate as Secret does not exist",
      },
      {
        type: "Issuing",
        status: "True",
        reason: "DoesNotExist",
        message: "Issuing certificate as Secret does not exist",
      },
    ],
  },
} as unknown as Certificate;
const owner = (uid: string) => [{ apiVersion: "x", kind: "x", name: "x", uid }];
const request = (name: string, revision: string, ownerUID = "cert-uid") =>
  ({
    apiVersion: "cert-manager.io/v1",
    kind: "CertificateRequest",
    metadata: {
      name,
      namespace: "apps",
      uid: `${name}-uid`,
      ownerReferences: owner(ownerUID),
      annotations: { "cert-manager.io/certificate-revision": revision },
    },
    spec: { request: "", issuerRef: { name: "le" } },
    status: {
      conditions: [
        {
          type: "Approved",
          status: "True",
          reason: "cert-manager.io",
          message: "Certificate request has been approved by cert-manager.io",
        },
      ],
    },
  }) as unknown as CertificateRequest;
const order = {
  apiVersion: "acme.cert-manager.io/v1",
  kind: "Order",
  metadata: { name: "web-1-123", namespace: "apps", uid: "order-uid" },
  spec: { request: "", issuerRef: { name: "le" } },
  status: {
    state: "pending",
    authorizations: [
      {
        url: "https://acme/authz/1",
        identifier: "web.example",
        initialState: "pending",
        wildcard: false,
        challenges: [{ type: "http-01", url: "u", token: "t" }],
      },
    ],
  },
} as unknown as Order;
const challenge = {
  apiVersion: "acme.cert-manager.io/v1",
  kind: "Challenge",
  metadata: { name: "web-1-123-9", namespace: "apps" },
  spec: { type: "HTTP-01", token: "tok", dnsName: "web.example" },
  status: {
    state: "pending",
    processing: true,
    presented: true,
    reason: "Waiting for HTTP-01 challenge propagation",
  },
} as unknown as Challenge;

describe("status certificate view", () => {
  it("shows an in-flight ACME issuance", () => {
    const input: StatusInput = {
      certificate,
      issuer: {
        kind: "ClusterIssuer",
        name: "le",
        object: {
          apiVersion: "cert-manager.io/v1",
          kind: "ClusterIssuer",
          metadata: { name: "le" },
          spec: {},
          status: {
            conditions: [
              {
                type: "Ready",
                status: "True",
                reason: "ACMEAccountRegistered",
                message: "The ACME account was registered with the ACME server",
              },
            ],
          },
        } as never,
      },
      secret: { name: "web-tls", exists: false },
      request: request("web-1", "1"),
      order,
      challenges: [challenge],
      events: [
        {
          type: "Normal",
          reason: "Requested",
          message: 'Created new CertificateRequest resource "web-1"',
          lastTimestamp: "2026-05-01T09:59:50Z",
          source: { component: "cert-manager-certificates-request-manager" },
        },
        {
          type: "Normal",
          reason: "Issuing",
          message: "Issuing certificate as Secret does not exist",
          lastTimestamp: "2026-05-01T09:59:40Z",
          count: 2,
          source: { component: "cert-manager-certificates-trigger" },
        },
      ],
    };
    expect(formatCertificateStatus(input, NOW)).toEqual([
      "Name: web",
      "Namespace: apps",
      "Created at: 2026-04-20T10:00:00Z",
      "Conditions:",
      "  Ready: False, Reason: DoesNotExist, Message: Issuing certificate as Secret does not exist",
      "  Issuing: True, Reason: DoesNotExist, Message: Issuing certificate as Secret does not exist",
      "DNS Names:",
      "- web.example",
      "Events:",
      "  Type    Reason     Age       From                                       Message",
      "  Normal  Issuing    20s (x2)  cert-manager-certificates-trigger          Issuing certificate as Secret does not exist",
      '  Normal  Requested  10s       cert-manager-certificates-request-manager  Created new CertificateRequest resource "web-1"',
      "Issuer:",
      "  Name: le",
      "  Kind: ClusterIssuer",
      "  Conditions:",
      "    Ready: True, Reason: ACMEAccountRegistered, Message: The ACME account was registered with the ACME server",
      "  Created at: <unknown>",
      "Secret:",
      "  Name: web-tls",
      "  Not found: the Secret does not exist yet",
      "CertificateRequest:",
      "  Name: web-1",
      "  Namespace: apps",
      "  Conditions:",
      "    Approved: True, Reason: cert-manager.io, Message: Certificate request has been approved by cert-manager.io",
      "Order:",
      "  Name: web-1-123",
      "  State: pending, Reason: ",
      "  Authorizations:",
      "    URL: https://acme/authz/1, Identifier: web.example, Initial State: pending, Wildcard: false",
      "      Challenges offered: http-01",
      "Challenges:",
      "- Name: web-1-123-9, Type: HTTP-01, Token: tok, DNS name: web.example",
      "  State: pending, Reason: Waiting for HTTP-01 challenge propagation, Processing: true, Presented: true",
    ]);
  });

  it("shows an issued certificate with its decoded Secret and timestamps", () => {
    const ready = {
      ...certificate,
      status: {
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "Ready",
            message: "Certificate is up to date and has not expired",
          },
        ],
        revision: 1,
        notBefore: "2026-04-21T10:00:00Z",
        notAfter: "2026-07-20T10:00:00Z",
        renewalTime: "2026-06-20T10:00:00Z",
      },
    } as unknown as Certificate;
    const lines = formatCertificateStatus(
      {
        certificate: ready,
        issuer: { kind: "ClusterIssuer", name: "le" },
        secret: { name: "web-tls", exists: true, cert: parseCertificate(leaf.certPEM) },
        challenges: [],
        events: [],
      },
      NOW,
    );
    const text = lines.join("\n");
    expect(text).toContain("Events:\n  <none>");
    expect(text).toContain('  Not found: the ClusterIssuer "le" does not exist');
    expect(text).toMatch(
      /Secret:\n {2}Name: web-tls\n {2}Subject: +-\n {2}Issuer: +CN=Example CA,O=Example\n {2}DNS names: +web\.example, www\.web\.example/,
    );
    expect(text).toContain(
      "Not After: 2026-07-20T10:00:00Z\nRenewal Time: 2026-06-20T10:00:00Z\nRevision: 1",
    );
    expect(lines.at(-1)).toBe("No CertificateRequest found for this Certificate");
  });

  it("picks the next revision's request, else the current one, owned by the Certificate", () => {
    const reqs = [request("web-1", "1"), request("web-2", "2"), request("other-3", "3", "other-uid")];
    expect(currentRequest({ ...certificate, status: { revision: 1 } }, reqs)?.metadata.name).toBe("web-2");
    expect(currentRequest({ ...certificate, status: { revision: 2 } }, reqs)?.metadata.name).toBe("web-2");
    expect(currentRequest({ ...certificate, status: {} }, reqs)?.metadata.name).toBe("web-1");
    expect(currentRequest({ ...certificate, status: { revision: 5 } }, reqs)).toBeUndefined();
  });

  it("shows no events as <none>", () => {
    expect(formatEvents([], NOW)).toEqual(["  <none>"]);
  });
});
