import { beforeAll, describe, expect, it } from "vitest";
import { aCertificateRequest, cond, csrBase64, withConditions } from "../testing/builders.ts";
import { validateCertificateRequest } from "./certificaterequest.ts";
import { formatFieldError } from "./field.ts";

const msgs = (r: ReturnType<typeof validateCertificateRequest>) => r.errors.map(formatFieldError);

let plain: string;
let serverClient: string;
let caCSR: string;

beforeAll(async () => {
  plain = await csrBase64({ dnsNames: ["example.com"] });
  serverClient = await csrBase64({
    dnsNames: ["example.com"],
    usages: ["digital signature", "key encipherment", "server auth", "client auth"],
  });
  caCSR = await csrBase64({
    commonName: "my-ca",
    isCA: true,
    usages: ["digital signature", "key encipherment", "cert sign"],
  });
});

describe("CertificateRequest create", () => {
  it("accepts a CSR with the default usages and no spec usages", () => {
    expect(msgs(validateCertificateRequest(aCertificateRequest(plain)))).toEqual([]);
  });

  it("rejects a request that is not a PEM CSR", () => {
    const cr = aCertificateRequest(Buffer.from("hello").toString("base64"));
    expect(msgs(validateCertificateRequest(cr))).toEqual([
      "spec.request: Invalid value: failed to decode csr: error decoding certificate request PEM block",
    ]);
  });

  it("requires the request", () => {
    expect(msgs(validateCertificateRequest(aCertificateRequest("")))).toEqual([
      "spec.request: Required value: must be specified",
    ]);
  });

  it("accepts spec usages equal to the CSR's (order and signing/digital signature aside)", () => {
    const cr = aCertificateRequest(serverClient, (c) => {
      c.spec.usages = ["client auth", "signing", "server auth", "key encipherment"];
    });
    expect(msgs(validateCertificateRequest(cr))).toEqual([]);
  });

  it("rejects spec usages that differ from the CSR's", () => {
    const cr = aCertificateRequest(serverClient, (c) => {
      c.spec.usages = ["digital signature", "key encipherment", "server auth", "code signing"];
    });
    expect(msgs(validateCertificateRequest(cr))).toEqual([
      'spec.request: Invalid value: csr key usages do not match specified usages, these should match if both are set: [[3]: "client auth" != "code signing"]',
    ]);
  });

  it("adds cert sign to the spec usages of a CA request before comparing", () => {
    const cr = aCertificateRequest(caCSR, (c) => {
      c.spec.isCA = true;
      c.spec.usages = ["digital signature", "key encipherment", "crl sign"];
    });
    expect(msgs(validateCertificateRequest(cr))[0]).toMatch(/csr key usages do not match/);
    const ok = aCertificateRequest(caCSR, (c) => {
      c.spec.isCA = true;
      c.spec.usages = ["digital signature", "key encipherment", "cert sign"];
    });
    expect(msgs(validateCertificateRequest(ok))).toEqual([]);
  });

  it("rejects a CSR whose BasicConstraints disagree with spec.isCA", () => {
    const cr = aCertificateRequest(caCSR);
    expect(msgs(validateCertificateRequest(cr))).toEqual([
      "spec.request: Invalid value: csr basic constraints isCA (true) does not match spec.isCA (false)",
    ]);
  });

  const approval: [string, ReturnType<typeof cond>[], string[]][] = [
    ["Approved True", [cond("Approved")], []],
    ["Denied True", [cond("Denied")], []],
    [
      "Approved False",
      [cond("Approved", "False")],
      ['status.conditions.Approved: Invalid value: "False": "Approved" condition may only be set to True'],
    ],
    [
      "two Approved",
      [cond("Approved"), cond("Approved")],
      ['status.conditions: Forbidden: multiple "Approved" conditions present'],
    ],
    [
      "Approved and Denied",
      [cond("Approved"), cond("Denied")],
      ["status.conditions: Forbidden: both 'Denied' and 'Approved' conditions cannot coexist"],
    ],
  ];
  it.each(approval)("approval conditions on create: %s", (_n, conds, want) => {
    expect(msgs(validateCertificateRequest(aCertificateRequest(plain, withConditions(...conds))))).toEqual(
      want,
    );
  });
});

describe("CertificateRequest update", () => {
  it("forbids changing the spec", () => {
    const old = aCertificateRequest(plain);
    const cur = aCertificateRequest(plain, (c) => {
      c.spec.duration = "1h";
    });
    expect(msgs(validateCertificateRequest(cur, old))).toEqual([
      "spec: Forbidden: cannot change spec after creation",
    ]);
  });

  it("forbids adding, changing or removing cert-manager annotations; others are free", () => {
    const old = aCertificateRequest(plain, (c) => {
      c.metadata.annotations = {
        "cert-manager.io/certificate-revision": "1",
        "acme.cert-manager.io/x": "a",
        other: "1",
      };
    });
    const cur = aCertificateRequest(plain, (c) => {
      c.metadata.annotations = {
        "cert-manager.io/certificate-revision": "2",
        "cert-manager.io/new": "x",
        other: "2",
      };
    });
    expect(msgs(validateCertificateRequest(cur, old))).toEqual([
      "metadata.annotations.acme.cert-manager.io/x: Forbidden: cannot change cert-manager annotation after creation",
      "metadata.annotations.cert-manager.io/certificate-revision: Forbidden: cannot change cert-manager annotation after creation",
      "metadata.annotations.cert-manager.io/new: Forbidden: cannot change cert-manager annotation after creation",
    ]);
  });

  it("allows adding Approved once; forbids modifying or removing it afterwards", () => {
    const none = aCertificateRequest(plain);
    const approved = aCertificateRequest(plain, withConditions(cond("Approved")));
    expect(msgs(validateCertificateRequest(approved, none))).toEqual([]);
    const changed = aCertificateRequest(plain, withConditions(cond("Approved", "True", "Other")));
    expect(msgs(validateCertificateRequest(changed, approved))).toEqual([
      "status.conditions: Forbidden: 'Approved' condition may not be modified once set",
    ]);
    expect(msgs(validateCertificateRequest(none, approved))).toEqual([
      "status.conditions: Forbidden: 'Approved' condition may not be modified once set",
    ]);
  });

  it("forbids adding Denied to an approved request", () => {
    const approved = aCertificateRequest(plain, withConditions(cond("Approved")));
    const both = aCertificateRequest(plain, withConditions(cond("Approved"), cond("Denied")));
    expect(msgs(validateCertificateRequest(both, approved))).toEqual([
      "status.conditions: Forbidden: both 'Denied' and 'Approved' conditions cannot coexist",
    ]);
  });
});
