import { beforeAll, describe, expect, it } from "vitest";
import { Annotations } from "@certkeeper/api";
import {
  SkipReasons,
  indexValues,
  resolveCA,
  selectSource,
  wantsInjection,
  type Scope,
  type SourceInput,
} from "./sources.ts";
import { aCA, aCertificate, aSecret, withAnnotation, withCA } from "./test-helpers.ts";

const all: Scope = { namespace: "", ignoreNamespaces: [], certificatesEnabled: true };
const FROM_SECRET = Annotations.InjectCAFromSecret;
const FROM_CERT = Annotations.InjectCAFrom;
const APISERVER = Annotations.InjectAPIServerCA;

describe("selectSource", () => {
  const cases: Array<{ name: string; annotations: Record<string, string>; scope?: Scope; want: unknown }> = [
    { name: "no annotation", annotations: {}, want: undefined },
    { name: "unrelated annotations", annotations: { "example.com/x": "y" }, want: undefined },
    {
      name: "secret",
      annotations: { [FROM_SECRET]: "ns/ca" },
      want: { source: { type: "secret", namespace: "ns", name: "ca" } },
    },
    {
      name: "certificate",
      annotations: { [FROM_CERT]: "ns/cert" },
      want: { source: { type: "certificate", namespace: "ns", name: "cert" } },
    },
    { name: "apiserver", annotations: { [APISERVER]: "true" }, want: { source: { type: "apiserver" } } },
    { name: "apiserver only when exactly true", annotations: { [APISERVER]: "yes" }, want: undefined },
    {
      name: "secret wins over certificate and apiserver",
      annotations: { [FROM_SECRET]: "a/s", [FROM_CERT]: "b/c", [APISERVER]: "true" },
      want: { source: { type: "secret", namespace: "a", name: "s" } },
    },
    {
      name: "certificate wins over apiserver",
      annotations: { [FROM_CERT]: "b/c", [APISERVER]: "true" },
      want: { source: { type: "certificate", namespace: "b", name: "c" } },
    },
    {
      name: "an invalid winner does not fall through to the next source",
      annotations: { [FROM_SECRET]: "no-namespace", [APISERVER]: "true" },
      want: { skip: expect.objectContaining({ reason: SkipReasons.InvalidReference, warn: true }) },
    },
    {
      name: "inject-ca-from without a namespace is refused",
      annotations: { [FROM_CERT]: "no-namespace" },
      want: {
        skip: {
          reason: SkipReasons.InvalidReference,
          message: `${FROM_CERT}: "no-namespace" must be "<namespace>/<name>"`,
          warn: true,
        },
      },
    },
    {
      name: "empty name is refused",
      annotations: { [FROM_SECRET]: "ns/" },
      want: { skip: expect.objectContaining({ reason: SkipReasons.InvalidReference }) },
    },
    {
      name: "a leading slash is refused",
      annotations: { [FROM_SECRET]: "/name" },
      want: { skip: expect.objectContaining({ reason: SkipReasons.InvalidReference }) },
    },
    {
      name: "a source outside --namespace is refused",
      annotations: { [FROM_SECRET]: "other/ca" },
      scope: { ...all, namespace: "mine" },
      want: { skip: expect.objectContaining({ reason: SkipReasons.OutOfScope, warn: true }) },
    },
    {
      name: "a source inside --namespace is fine",
      annotations: { [FROM_SECRET]: "mine/ca" },
      scope: { ...all, namespace: "mine" },
      want: { source: { type: "secret", namespace: "mine", name: "ca" } },
    },
    {
      name: "a source in an ignored namespace is refused",
      annotations: { [FROM_CERT]: "kube-system/c" },
      scope: { ...all, ignoreNamespaces: ["kube-system"] },
      want: { skip: expect.objectContaining({ reason: SkipReasons.OutOfScope }) },
    },
    {
      name: "apiserver ignores namespace scoping",
      annotations: { [APISERVER]: "true" },
      scope: { ...all, namespace: "mine" },
      want: { source: { type: "apiserver" } },
    },
    {
      name: "certificate source disabled",
      annotations: { [FROM_CERT]: "ns/c" },
      scope: { ...all, certificatesEnabled: false },
      want: { skip: expect.objectContaining({ reason: SkipReasons.SourceDisabled }) },
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(selectSource(c.annotations, c.scope ?? all)).toEqual(c.want));
  }

  it("indexes targets by their source", () => {
    expect(indexValues({ [FROM_SECRET]: "ns/ca" })).toEqual(["secret:ns/ca"]);
    expect(indexValues({ [FROM_CERT]: "ns/c" })).toEqual(["certificate:ns/c"]);
    expect(indexValues({ [FROM_CERT]: "bad" })).toEqual([]);
    expect(indexValues({ [APISERVER]: "true" })).toEqual([]);
    expect(indexValues(undefined)).toEqual([]);
  });

  it("wantsInjection sees any of the three annotations", () => {
    expect(wantsInjection({ [FROM_CERT]: "bad" })).toBe(true);
    expect(wantsInjection({ [APISERVER]: "true" })).toBe(true);
    expect(wantsInjection({ [APISERVER]: "false" })).toBe(false);
    expect(wantsInjection({})).toBe(false);
  });
});

describe("resolveCA", () => {
  let ca: string;
  beforeAll(async () => {
    ca = await aCA("source-ca");
  });
  const allow = withAnnotation(Annotations.AllowDirectInjection, "true");
  const ownedBy = (name: string) => withAnnotation(Annotations.CertificateName, name);
  const secretSrc = { type: "secret", namespace: "ns", name: "ca" } as const;
  const certSrc = { type: "certificate", namespace: "ns", name: "cert" } as const;

  const cases: Array<{ name: string; input: () => SourceInput; want: string | null }> = [
    {
      name: "secret: allowed with ca.crt",
      input: () => ({ source: secretSrc, secret: aSecret("ns", "ca", allow, withCA(ca)) }),
      want: null,
    },
    { name: "secret: not found", input: () => ({ source: secretSrc }), want: SkipReasons.SourceNotFound },
    {
      name: "secret: without the direct-injection opt-in",
      input: () => ({ source: secretSrc, secret: aSecret("ns", "ca", withCA(ca)) }),
      want: SkipReasons.NotAllowed,
    },
    {
      name: "secret: opt-in must be exactly true",
      input: () => ({
        source: secretSrc,
        secret: aSecret("ns", "ca", withAnnotation(Annotations.AllowDirectInjection, "True"), withCA(ca)),
      }),
      want: SkipReasons.NotAllowed,
    },
    {
      name: "secret: no ca.crt",
      input: () => ({ source: secretSrc, secret: aSecret("ns", "ca", allow) }),
      want: SkipReasons.MissingCAData,
    },
    {
      name: "secret: empty ca.crt",
      input: () => ({ source: secretSrc, secret: aSecret("ns", "ca", allow, withCA("")) }),
      want: SkipReasons.MissingCAData,
    },
    {
      name: "secret: ca.crt is not PEM",
      input: () => ({ source: secretSrc, secret: aSecret("ns", "ca", allow, withCA("garbage")) }),
      want: SkipReasons.InvalidCAData,
    },
    {
      name: "certificate: Secret names it",
      input: () => ({
        source: certSrc,
        certificate: aCertificate("ns", "cert", "tls"),
        secret: aSecret("ns", "tls", ownedBy("cert"), withCA(ca)),
      }),
      want: null,
    },
    { name: "certificate: not found", input: () => ({ source: certSrc }), want: SkipReasons.SourceNotFound },
    {
      name: "certificate: its Secret not found",
      input: () => ({ source: certSrc, certificate: aCertificate("ns", "cert", "tls") }),
      want: SkipReasons.SourceNotFound,
    },
    {
      name: "certificate: Secret names another Certificate",
      input: () => ({
        source: certSrc,
        certificate: aCertificate("ns", "cert", "tls"),
        secret: aSecret("ns", "tls", ownedBy("other"), withCA(ca)),
      }),
      want: SkipReasons.NotOwned,
    },
    {
      name: "certificate: Secret without certificate-name",
      input: () => ({
        source: certSrc,
        certificate: aCertificate("ns", "cert", "tls"),
        secret: aSecret("ns", "tls", withCA(ca)),
      }),
      want: SkipReasons.NotOwned,
    },
    {
      name: "certificate: Secret without ca.crt",
      input: () => ({
        source: certSrc,
        certificate: aCertificate("ns", "cert", "tls"),
        secret: aSecret("ns", "tls", ownedBy("cert")),
      }),
      want: SkipReasons.MissingCAData,
    },
    {
      name: "apiserver: CA present",
      input: () => ({ source: { type: "apiserver" }, apiserverCA: ca }),
      want: null,
    },
    {
      name: "apiserver: no CA in the kubeconfig",
      input: () => ({ source: { type: "apiserver" } }),
      want: SkipReasons.NoAPIServerCA,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = resolveCA(c.input());
      if (c.want === null) expect(r).toEqual({ ca });
      else expect(r).toEqual({ skip: expect.objectContaining({ reason: c.want }) });
    });
  }

  it("warns the user only about mistakes, not about sources that are not there yet", () => {
    const skipOf = (input: SourceInput) => {
      const r = resolveCA(input);
      return "skip" in r ? r.skip : undefined;
    };
    expect(skipOf({ source: secretSrc })?.warn).toBe(false);
    expect(skipOf({ source: secretSrc, secret: aSecret("ns", "ca", allow) })?.warn).toBe(false);
    expect(skipOf({ source: secretSrc, secret: aSecret("ns", "ca", withCA(ca)) })?.warn).toBe(true);
    const notOwned = skipOf({
      source: certSrc,
      certificate: aCertificate("ns", "cert", "tls"),
      secret: aSecret("ns", "tls", ownedBy("other"), withCA(ca)),
    });
    expect(notOwned?.warn).toBe(true);
    expect(notOwned?.message).toContain('names Certificate "other", not "cert"');
  });
});
