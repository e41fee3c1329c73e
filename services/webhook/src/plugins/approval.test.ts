import { describe, expect, it } from "vitest";
import { aCertificateRequest, cond, withConditions } from "../testing/builders.ts";
import { formatFieldError } from "../validation/field.ts";
import {
  checkApproval,
  signerNames,
  type AccessReviewer,
  type ResourceAttributes,
  type SignerResolver,
} from "./approval.ts";

const resolver: SignerResolver = {
  async resolve(group, kind) {
    if (group === "cert-manager.io" && kind === "Issuer") return { resource: "issuers", namespaced: true };
    if (group === "cert-manager.io" && kind === "ClusterIssuer")
      return { resource: "clusterissuers", namespaced: false };
    return undefined;
  },
};

/** Allows exactly the signer names given; records what was asked. */
function reviewer(allowed: string[]): AccessReviewer & { asked: ResourceAttributes[] } {
  const asked: ResourceAttributes[] = [];
  return {
    asked,
    async allowed(_user, attrs) {
      asked.push(attrs);
      return allowed.includes(attrs.name);
    },
  };
}

const old = aCertificateRequest("x");
const approved = aCertificateRequest("x", withConditions(cond("Approved")));
const alice = { username: "alice", groups: ["system:authenticated"] };

describe("approval guard", () => {
  it("names signers as cert-manager does", () => {
    expect(signerNames("ca", "ns", "cert-manager.io", { resource: "issuers", namespaced: true })).toEqual([
      "issuers.cert-manager.io/*",
      "issuers.cert-manager.io/ns.ca",
    ]);
    expect(
      signerNames("ci", "ns", "cert-manager.io", { resource: "clusterissuers", namespaced: false }),
    ).toEqual(["clusterissuers.cert-manager.io/*", "clusterissuers.cert-manager.io/ci"]);
  });

  it("denies a user without approve on the signer", async () => {
    const r = reviewer([]);
    const errs = await checkApproval(old, approved, alice, { signers: resolver, reviewer: r });
    expect(errs.map(formatFieldError)).toEqual([
      'status.conditions: Forbidden: user "alice" does not have permissions to set approved/denied conditions for issuer {ca Issuer cert-manager.io}',
    ]);
    expect(r.asked).toEqual([
      {
        verb: "approve",
        group: "cert-manager.io",
        version: "*",
        resource: "signers",
        name: "issuers.cert-manager.io/*",
      },
      {
        verb: "approve",
        group: "cert-manager.io",
        version: "*",
        resource: "signers",
        name: "issuers.cert-manager.io/default.ca",
      },
    ]);
  });

  it("allows a user with approve on the namespaced signer name", async () => {
    const errs = await checkApproval(old, approved, alice, {
      signers: resolver,
      reviewer: reviewer(["issuers.cert-manager.io/default.ca"]),
    });
    expect(errs).toEqual([]);
  });

  it("ignores updates that do not add Approved or Denied", async () => {
    const r = reviewer([]);
    expect(await checkApproval(approved, approved, alice, { signers: resolver, reviewer: r })).toEqual([]);
    expect(r.asked).toEqual([]);
  });

  it("fails closed when the authorizer errors", async () => {
    const failing: AccessReviewer = {
      async allowed() {
        throw new Error("connection refused");
      },
    };
    const errs = await checkApproval(old, approved, alice, { signers: resolver, reviewer: failing });
    expect(errs).toHaveLength(1);
  });

  it("rejects an issuer kind that no API serves", async () => {
    const cr = aCertificateRequest("x", withConditions(cond("Denied")), (c) => {
      c.spec.issuerRef = { name: "pca", kind: "AWSPCAIssuer", group: "awspca.cert-manager.io" };
    });
    const errs = await checkApproval(old, cr, alice, { signers: resolver, reviewer: reviewer([]) });
    expect(errs.map(formatFieldError)).toEqual([
      "spec.issuerRef: Forbidden: referenced signer resource does not exist: {pca AWSPCAIssuer awspca.cert-manager.io}",
    ]);
  });
});
