import { describe, expect, it } from "vitest";
import {
  aCertificate,
  withCommonName,
  withDNSNames,
  withSpec,
  withoutIdentity,
} from "../testing/builders.ts";
import { validateCertificate } from "./certificate.ts";
import { formatFieldError, formatFieldErrors } from "./field.ts";

const messages = (...mods: Parameters<typeof aCertificate>) =>
  validateCertificate(aCertificate(...mods)).errors.map(formatFieldError);

const NO_IDENTITY =
  'spec: Invalid value: "": at least one of commonName (from the commonName field or from a literalSubject), dnsNames, emailSANs, ipAddresses, otherNames, or uriSANs must be set';

describe("validateCertificate", () => {
  const cases: { name: string; mods: Parameters<typeof aCertificate>; want: string[] }[] = [
    { name: "a plain valid certificate", mods: [], want: [] },
    {
      name: "65-byte commonName of 33 two-byte characters is rejected (bytes, not characters)",
      mods: [withCommonName("é".repeat(33))],
      want: ["spec.commonName: Too long: may not be more than 64 bytes"],
    },
    {
      name: "65 ASCII characters are rejected",
      mods: [withCommonName("a".repeat(65))],
      want: ["spec.commonName: Too long: may not be more than 64 bytes"],
    },
    { name: "64-byte commonName is accepted", mods: [withCommonName("é".repeat(32))], want: [] },
    {
      name: "duration 30m is rejected",
      mods: [withSpec({ duration: "30m" })],
      want: ["spec.duration: Invalid value: 30m0s: certificate duration must be greater than 1h0m0s"],
    },
    {
      name: "renewBefore equal to the default duration is rejected",
      mods: [withSpec({ renewBefore: "2160h" })],
      want: [
        "spec.renewBefore: Invalid value: 2160h0m0s: certificate duration 2160h0m0s must be greater than renewBefore 2160h0m0s",
      ],
    },
    {
      name: "renewBefore below 5m is rejected",
      mods: [withSpec({ renewBefore: "4m" })],
      want: ["spec.renewBefore: Invalid value: 4m0s: certificate renewBefore must be greater than 5m0s"],
    },
    { name: "renewBefore inside bounds", mods: [withSpec({ duration: "24h", renewBefore: "8h" })], want: [] },
    {
      name: "renewBefore and renewBeforePercentage are exclusive",
      mods: [withSpec({ renewBefore: "1h", renewBeforePercentage: 20 })],
      want: [
        "spec.renewBefore: Invalid value: 1h0m0s: renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set",
        "spec.renewBeforePercentage: Invalid value: 20: renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set",
      ],
    },
    {
      name: "renewBeforePercentage 0 derives a renewBefore equal to the duration",
      mods: [withSpec({ renewBeforePercentage: 0 })],
      want: [
        "spec.renewBeforePercentage: Invalid value: 0: certificate renewBeforePercentage must result in a renewBefore less than duration",
      ],
    },
    {
      name: "renewBeforePercentage 100 derives a renewBefore below the minimum",
      mods: [withSpec({ renewBeforePercentage: 100 })],
      want: [
        "spec.renewBeforePercentage: Invalid value: 100: certificate renewBeforePercentage must result in a renewBefore greater than 5m0s",
      ],
    },
    { name: "no identity at all is rejected", mods: [withoutIdentity], want: [NO_IDENTITY] },
    {
      name: "a long DNS name without commonName is accepted",
      mods: [withDNSNames(`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.example.com`)],
      want: [],
    },
    {
      name: "literalSubject CN counts as identity",
      mods: [withoutIdentity, withSpec({ literalSubject: "CN=foo,O=bar" })],
      want: [],
    },
    {
      name: "literalSubject excludes commonName and subject; unknown keys reported",
      mods: [
        withSpec({ literalSubject: "CN=foo,XX=bar", commonName: "x", subject: { organizations: ["o"] } }),
      ],
      want: [
        'spec.commonName: Invalid value: "x": When providing a `LiteralSubject` no `commonName` may be provided.',
        'spec.subject: Invalid value: {"organizations":["o"]}: When providing a `LiteralSubject` no `Subject` properties may be provided.',
        'spec.literalSubject: Invalid value: "CN=foo,XX=bar": Literal subject contains unrecognized key with value [bar]',
      ],
    },
    {
      name: "bad IPs and emails",
      mods: [
        withSpec({
          ipAddresses: ["1.2.3.4", "::1", "300.1.1.1"],
          emailAddresses: ["a@b.com", "Bob <b@c.com>", "nope"],
        }),
      ],
      want: [
        'spec.ipAddresses[2]: Invalid value: "300.1.1.1": invalid IP address',
        'spec.emailAddresses[1]: Invalid value: "Bob <b@c.com>": invalid email address: make sure the supplied value only contains the email address itself',
        "spec.emailAddresses[2]: Invalid value: \"nope\": invalid email address: mail: missing '@' or angle-addr",
      ],
    },
    {
      name: "otherNames need a dotted oid and a value",
      mods: [
        withSpec({
          otherNames: [
            { oid: "1.2.3", utf8Value: "x" },
            { oid: "abc", utf8Value: "" },
            { oid: "1.3.6.1.4.1.311.20.2.3", utf8Value: "bad\ud800" },
          ],
        }),
      ],
      want: [
        'spec.otherNames[1].oid: Invalid value: "abc": invalid oid syntax',
        "spec.otherNames[1].utf8Value: Required value: must be set to a valid non-empty UTF8 string",
        "spec.otherNames[2].utf8Value: Required value: must be set to a valid non-empty UTF8 string",
      ],
    },
    {
      name: "RSA sizes 2048..8192",
      mods: [withSpec({ privateKey: { algorithm: "RSA", size: 1024 } })],
      want: ["spec.privateKey.size: Invalid value: 1024: must be between 2048 and 8192 for rsa keyAlgorithm"],
    },
    { name: "RSA 3072 is accepted", mods: [withSpec({ privateKey: { size: 3072 } })], want: [] },
    {
      name: "ECDSA sizes 256/384/521",
      mods: [withSpec({ privateKey: { algorithm: "ECDSA", size: 512 } })],
      want: ['spec.privateKey.size: Unsupported value: 512: supported values: "256", "384", "521"'],
    },
    {
      name: "signatureAlgorithm must match the key algorithm",
      mods: [withSpec({ privateKey: { algorithm: "ECDSA" }, signatureAlgorithm: "SHA256WithRSA" })],
      want: [
        'spec.signatureAlgorithm: Invalid value: "SHA256WithRSA": for key algorithm ECDSA the allowed signature algorithms are [ECDSAWithSHA256 ECDSAWithSHA384 ECDSAWithSHA512]',
      ],
    },
    {
      name: "unknown usages",
      mods: [withSpec({ usages: ["server auth", "flying" as never] })],
      want: ['spec.usages[1]: Invalid value: "flying": unknown keyusage'],
    },
    {
      name: "secretTemplate: cert-manager.io annotations other than allow-direct-injection, bad label syntax",
      mods: [
        withSpec({
          secretTemplate: {
            annotations: { "cert-manager.io/allow-direct-injection": "true", "cert-manager.io/foo": "x" },
            labels: { "bad key!": "v" },
          },
        }),
      ],
      want: [
        `spec.secretTemplate.labels: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        'spec.secretTemplate.annotations: Invalid value: "cert-manager.io/foo": cert-manager.io/* annotations are not allowed',
      ],
    },
    {
      name: "additionalOutputFormats must be unique",
      mods: [
        withSpec({ additionalOutputFormats: [{ type: "DER" }, { type: "CombinedPEM" }, { type: "DER" }] }),
      ],
      want: ['spec.additionalOutputFormats[type]: Duplicate value: "DER"'],
    },
    {
      name: "keystores need exactly one password source, literal non-empty",
      mods: [
        withSpec({
          keystores: {
            jks: { create: true, password: "", passwordSecretRef: { name: "s", key: "k" } },
            pkcs12: { create: true },
          },
        }),
      ],
      want: [
        "spec.keystores.jks: Forbidden: exactly one of passwordSecretRef and password must be provided for JKS keystores; cannot set both",
        "spec.keystores.jks.password: Forbidden: literal password cannot be empty if set on JKS keystores",
        "spec.keystores.pkcs12: Forbidden: must set exactly one of passwordSecretRef and password must for PKCS#12 keystores",
      ],
    },
    {
      name: "nameConstraints only with isCA and permitted or excluded",
      mods: [withSpec({ nameConstraints: { critical: true } })],
      want: [
        'spec.nameConstraints: Invalid value: {"critical":true}: isCa should be true when nameConstraints is set',
        'spec.nameConstraints: Invalid value: {"critical":true}: either permitted or excluded must be set',
      ],
    },
    {
      name: "renewal windows: disabled policy forbids windows",
      mods: [
        withSpec({ renewal: { policy: "Disabled", windows: [{ cron: "0 2 * * *", windowDuration: "1h" }] } }),
      ],
      want: [
        "spec.renewal.windows: Forbidden: windows cannot be set when `renewal.policy` is set to Disabled",
      ],
    },
    {
      name: "renewal windows: cron and timezone",
      mods: [
        withSpec({
          renewal: {
            windows: [
              { cron: "0 2 * * MON-FRI", windowDuration: "1h", timezone: "Europe/Berlin" },
              { cron: "61 2 * *", windowDuration: "1h", timezone: "Mars/Olympus" },
            ],
          },
        }),
      ],
      want: [
        'spec.renewal.windows[1].timezone: Invalid value: "Mars/Olympus": invalid value for timezone. timezone must be IANA compliant',
        'spec.renewal.windows[1].cron: Invalid value: "61 2 * *": invalid cron syntax: expected exactly 5 fields, found 4: [61 2 * *]. cron needs to follow: cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow',
      ],
    },
    {
      name: "issuerRef kind hint when group is empty",
      mods: [withSpec({ issuerRef: { name: "x", kind: "AWSPCAClusterIssuer" } })],
      want: [
        'spec.issuerRef.kind: Invalid value: "AWSPCAClusterIssuer": must be one of Issuer or ClusterIssuer (did you forget to set spec.issuerRef.kind.group?)',
      ],
    },
    {
      name: "secretName must be a DNS subdomain",
      mods: [withSpec({ secretName: "Bad_Name" })],
      want: [
        `spec.secretName: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    },
  ];

  it.each(cases)("$name", ({ mods, want }) => {
    expect(messages(...mods)).toEqual(want);
  });

  it("collects every error at once", () => {
    const r = validateCertificate(
      aCertificate(withoutIdentity, withSpec({ duration: "30m", secretName: "" })),
    );
    expect(r.errors.map((e) => e.path)).toEqual(["spec.secretName", "spec", "spec.duration"]);
    expect(formatFieldErrors(r.errors)).toMatch(
      /^\[spec.secretName: Required value: must be specified, spec: /,
    );
  });
});
