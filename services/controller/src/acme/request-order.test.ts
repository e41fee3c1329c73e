import { beforeAll, describe, expect, it } from "vitest";
import type { CertificateRequest } from "@certkeeper/api";
import { buildCSR, generatePrivateKey, parseCSR } from "@certkeeper/pki";
import { buildOrder, commonNameProblem } from "../certificaterequests/acme.ts";
import { orderName } from "./names.ts";

let csrPEM: string;
let badCN: string;
beforeAll(async () => {
  const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  csrPEM = buildCSR({ commonName: "a.example.com", dnsNames: ["a.example.com", "b.example.com"] }, key);
  badCN = buildCSR(
    { commonName: "c.example.com", dnsNames: ["a.example.com"], ipAddresses: ["10.0.0.1"] },
    key,
  );
});

const request = (pem: string): CertificateRequest => ({
  apiVersion: "cert-manager.io/v1",
  kind: "CertificateRequest",
  metadata: {
    name: "web-1",
    namespace: "ns",
    uid: "cr-uid",
    labels: { app: "web" },
    annotations: { "cert-manager.io/certificate-name": "web" },
  },
  spec: {
    request: Buffer.from(pem).toString("base64"),
    issuerRef: { name: "le", kind: "ClusterIssuer", group: "cert-manager.io" },
    duration: "2160h0m0s",
  },
});

describe("the Order for a CertificateRequest", () => {
  it("is named from the spec, owned by the request, with its labels and annotations", () => {
    const cr = request(csrPEM);
    const order = buildOrder(cr, parseCSR(csrPEM), false);
    expect(order.spec).toEqual({
      request: cr.spec.request,
      issuerRef: cr.spec.issuerRef,
      commonName: "a.example.com",
      dnsNames: ["a.example.com", "b.example.com"],
    });
    expect(order.metadata.name).toBe(orderName("web-1", order.spec));
    expect(order.metadata.labels).toEqual({ app: "web" });
    expect(order.metadata.annotations).toEqual({ "cert-manager.io/certificate-name": "web" });
    expect(order.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "CertificateRequest", uid: "cr-uid", controller: true }),
    ]);
    expect(buildOrder(cr, parseCSR(csrPEM), true).spec.duration).toBe("2160h0m0s");
  });

  it("refuses a commonName that is not among the SANs, in cert-manager's words", () => {
    expect(commonNameProblem(parseCSR(csrPEM))).toBeUndefined();
    expect(commonNameProblem(parseCSR(badCN))).toBe(
      'The CSR PEM requests a commonName that is not present in the list of dnsNames or ipAddresses. If a commonName is set, ACME requires that the value is also present in the list of dnsNames or ipAddresses: "c.example.com" does not exist in [a.example.com] or [10.0.0.1]',
    );
  });
});
