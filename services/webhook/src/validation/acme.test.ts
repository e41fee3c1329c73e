import { describe, expect, it } from "vitest";
import type { Challenge, Order } from "@certkeeper/api";
import { validateChallenge, validateOrder } from "./acme.ts";
import { formatFieldError } from "./field.ts";

const order = (status: Order["status"] = {}, request = "Y3Ny"): Order => ({
  apiVersion: "acme.cert-manager.io/v1",
  kind: "Order",
  metadata: { name: "o", namespace: "default" },
  spec: { request, issuerRef: { name: "le" }, dnsNames: ["example.com"] },
  status,
});

const challenge = (token: string): Challenge => ({
  apiVersion: "acme.cert-manager.io/v1",
  kind: "Challenge",
  metadata: { name: "c", namespace: "default" },
  spec: {
    url: "https://acme/chall/1",
    authorizationURL: "https://acme/authz/1",
    dnsName: "example.com",
    type: "HTTP-01",
    token,
    key: `${token}.thumb`,
    solver: { http01: { ingress: {} } },
    issuerRef: { name: "le" },
  },
});

const msgs = (r: { errors: Parameters<typeof formatFieldError>[0][] }) => r.errors.map(formatFieldError);

describe("Order", () => {
  it("accepts anything on create", () => {
    expect(msgs(validateOrder(order()))).toEqual([]);
  });
  it("lets unset status fields be filled in", () => {
    expect(msgs(validateOrder(order({ url: "u", finalizeURL: "f", state: "pending" }), order()))).toEqual([]);
  });
  it("freezes the request, url, finalizeURL, certificate and authorizations once set", () => {
    const before = order({
      url: "u",
      finalizeURL: "f",
      certificate: "Y2VydA==",
      authorizations: [
        {
          url: "a",
          identifier: "example.com",
          wildcard: false,
          challenges: [{ url: "c", token: "t", type: "http-01" }],
        },
      ],
    });
    const after = order(
      {
        url: "u2",
        finalizeURL: "f",
        certificate: "b3RoZXI=",
        authorizations: [
          {
            url: "a",
            identifier: "other.com",
            wildcard: true,
            challenges: [{ url: "c", token: "t2", type: "http-01" }],
          },
        ],
      },
      "b3RoZXI=",
    );
    expect(msgs(validateOrder(after, before))).toEqual([
      "spec.request: Forbidden: field is immutable once set",
      "status.url: Forbidden: field is immutable once set",
      "status.certificate: Forbidden: field is immutable once set",
      "status.authorizations[0].identifier: Forbidden: field is immutable once set",
      "status.authorizations[0].wildcard: Forbidden: field is immutable once set",
      "status.authorizations[0].challenges[0].token: Forbidden: field is immutable once set",
    ]);
  });
});

describe("Challenge", () => {
  it("is immutable after creation", () => {
    expect(msgs(validateChallenge(challenge("a"), challenge("a")))).toEqual([]);
    expect(msgs(validateChallenge(challenge("b"), challenge("a")))).toEqual([
      "spec: Forbidden: challenge spec is immutable after creation",
    ]);
  });
});
