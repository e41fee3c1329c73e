import { describe, expect, it } from "vitest";
import type { IssuerSpec } from "@certkeeper/api";
import { anIssuer } from "../testing/builders.ts";
import { DEPRECATED_EAB_KEY_ALGORITHM_WARNING, nameserverError } from "./acme-issuer.ts";
import { formatFieldError } from "./field.ts";
import { validateIssuer } from "./issuer.ts";

const acme = (extra: Record<string, unknown> = {}) =>
  ({
    server: "https://acme.example/directory",
    privateKeySecretRef: { name: "acct" },
    ...extra,
  }) as IssuerSpec["acme"];

const check = (spec: IssuerSpec) => {
  const r = validateIssuer(anIssuer(spec));
  return { errors: r.errors.map(formatFieldError), warnings: r.warnings };
};

describe("validateIssuer", () => {
  const cases: [string, IssuerSpec, string[]][] = [
    ["selfSigned alone", { selfSigned: {} }, []],
    ["no issuer type", {}, ["spec: Required value: at least one issuer must be configured"]],
    [
      "two issuer types",
      { ca: { secretName: "ca" }, selfSigned: {} },
      ["spec.selfSigned: Forbidden: may not specify more than one issuer type"],
    ],
    ["CA needs a secretName", { ca: { secretName: "" } }, ["spec.ca.secretName: Required value"]],
    [
      "ACME server and key name required",
      { acme: { server: "", privateKeySecretRef: { name: "" } } as IssuerSpec["acme"] },
      [
        "spec.acme.privateKeySecretRef.name: Required value: private key secret name is a required field",
        "spec.acme.server: Required value: acme server URL is a required field",
      ],
    ],
    [
      "ACME caBundle and skipTLSVerify exclusive",
      { acme: acme({ caBundle: Buffer.from("x").toString("base64"), skipTLSVerify: true }) },
      [
        'spec.acme.caBundle: Invalid value: "": caBundle and skipTLSVerify are mutually exclusive and cannot both be set',
        "spec.acme.skipTLSVerify: Invalid value: true: caBundle and skipTLSVerify are mutually exclusive and cannot both be set",
        `spec.acme.caBundle: Invalid value: "": cert bundle didn't contain any valid certificates`,
      ],
    ],
    [
      "ACME solver with both types",
      {
        acme: acme({
          solvers: [{ http01: { ingress: {} }, dns01: { webhook: { groupName: "g", solverName: "s" } } }],
        }),
      },
      ["spec.acme.solvers[0]: Forbidden: may not specify more than one solver type in a single solver"],
    ],
    [
      "ACME solver with no type",
      { acme: acme({ solvers: [{}] }) },
      ["spec.acme.solvers[0]: Required value: no solver type configured"],
    ],
    [
      "ingress class, ingressClassName and name: at most one",
      { acme: acme({ solvers: [{ http01: { ingress: { class: "nginx", ingressClassName: "nginx" } } }] }) },
      [
        "spec.acme.solvers[0].http01.ingress: Forbidden: only one of 'ingressClassName', 'name' or 'class' should be specified",
      ],
    ],
    [
      "dns01 with two providers",
      {
        acme: acme({
          solvers: [
            {
              dns01: {
                cloudflare: { apiTokenSecretRef: { name: "cf", key: "token" } },
                route53: { region: "eu-west-1" },
              },
            },
          ],
        }),
      },
      ["spec.acme.solvers[0].dns01.route53: Forbidden: may not specify more than one provider type"],
    ],
    [
      "dns01 with no provider",
      { acme: acme({ solvers: [{ dns01: {} }] }) },
      ["spec.acme.solvers[0].dns01: Required value: no DNS01 provider configured"],
    ],
    [
      "rfc2136 needs a host:port nameserver and a known TSIG algorithm",
      {
        acme: acme({
          solvers: [
            {
              dns01: {
                rfc2136: {
                  nameserver: "[::1",
                  tsigKeyName: "k",
                  tsigAlgorithm: "HMACSHA3",
                  tsigSecretSecretRef: { name: "tsig", key: "secret" },
                },
              },
            },
          ],
        }),
      },
      [
        'spec.acme.solvers[0].dns01.rfc2136.nameserver: Invalid value: "[::1": nameserver must be set in the form host:port where host is an IPv4 address, an enclosed IPv6 address or a hostname and port is an optional port number.',
        'spec.acme.solvers[0].dns01.rfc2136.tsigAlgorithm: Unsupported value: "": supported values: "HMACMD5", "HMACSHA1", "HMACSHA256", "HMACSHA512"',
      ],
    ],
    [
      "vault basics",
      { vault: { server: "", path: "pki/../sign", auth: {} } as IssuerSpec["vault"] },
      [
        "spec.vault.server: Required value",
        `spec.vault.path: Invalid value: "pki/../sign": must not contain '..' path segments`,
        "spec.vault.auth: Required value: please supply one of: appRole, kubernetes, tokenSecretRef, clientCertificate, aws",
      ],
    ],
    [
      "venafi basics",
      {
        venafi: {
          zone: "",
          tpp: { url: "", credentialsRef: { name: "c" } },
          cloud: { apiTokenSecretRef: { name: "a", key: "k" } },
        },
      },
      [
        "spec.venafi.zone: Required value",
        "spec.venafi.tpp.url: Required value",
        "spec.venafi: Forbidden: please supply one of: tpp, cloud, ngts",
      ],
    ],
  ];
  it.each(cases)("%s", (_name, spec, want) => {
    expect(check(spec).errors).toEqual(want);
  });

  it("warns about the deprecated EAB keyAlgorithm without rejecting", () => {
    const r = check({
      acme: acme({
        externalAccountBinding: {
          keyID: "kid",
          keySecretRef: { name: "eab", key: "k" },
          keyAlgorithm: "HS256",
        },
      }),
    });
    expect(r).toEqual({ errors: [], warnings: [DEPRECATED_EAB_KEY_ALGORITHM_WARNING] });
  });

  it.each([
    ["8.8.8.8", undefined],
    ["8.8.8.8:53", undefined],
    ["[2001:db8::1]:53", undefined],
    ["[2001:db8::1]", undefined],
    ["ns.example.com", undefined],
    [":53", "RFC2136 nameserver has no host defined, :53"],
    ["2001:db8::1", "RFC2136 nameserver is invalid: too many colons in address"],
    ["ns:0", "RFC2136 nameserver port is invalid: must be greater than 0"],
  ])("rfc2136 nameserver %s", (ns, want) => {
    expect(nameserverError(ns)).toBe(want);
  });
});
