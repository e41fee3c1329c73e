import { beforeAll, describe, expect, it } from "vitest";
import { FakeClock, MemoryEventRecorder } from "@certkeeper/kube";
import { generatePrivateKey, encodePrivateKey } from "@certkeeper/pki";
import type { Certificate } from "@certkeeper/api";
import {
  aCertificate,
  aRequest,
  aSecret,
  materialFor,
  withAnnotation,
  withData,
  withDNSNames,
  withFailure,
  withIssuer,
  withKeyAlgorithm,
  withRenewalWindows,
  withRenewBefore,
  withRevision,
  type Material,
} from "../testing/certificate-builders.ts";
import { parseRequestCSR, parseSecret } from "./parsed.ts";
import { evaluate, readinessChain, triggerChain, type PolicyInput } from "./policies.ts";
import { readinessStatus } from "./readiness.ts";
import { decideTrigger, windowErrorReporter } from "./trigger.ts";
import { renewalTime } from "./renewal.ts";
import type { Secret } from "@certkeeper/kube";

const DAY = 24 * 3600 * 1000;
const daily2am = { cron: "0 2 * * *", windowDuration: "1h" };
const marsWindow = { cron: "0 2 * * *", windowDuration: "1h", timezone: "Mars/Olympus" };
const issuedAt = new Date("2026-06-01T00:00:00Z");
const clock = new FakeClock(new Date(issuedAt.getTime() + DAY));

let base: Certificate;
let m: Material;
let otherKeyPEM: string;

beforeAll(async () => {
  base = aCertificate(withRevision(1));
  m = await materialFor(base, issuedAt, 90 * DAY);
  otherKeyPEM = encodePrivateKey(await generatePrivateKey({ algorithm: "ECDSA", size: 256 }), "PKCS1");
});

function input(
  cert: Certificate,
  secret: Secret | undefined,
  opts: { request?: boolean | string; now?: Date } = {},
): PolicyInput {
  const cr =
    opts.request === false
      ? undefined
      : aRequest(
          cert,
          cert.status?.revision ?? 1,
          typeof opts.request === "string" ? opts.request : m.csrPEM,
        );
  return {
    certificate: cert,
    secret,
    parsed: secret ? parseSecret(secret) : undefined,
    currentRevisionRequest: cr,
    currentRequestCSR: cr ? parseRequestCSR(cr) : undefined,
    now: opts.now ?? clock.now(),
  };
}

describe("trigger and readiness chains", () => {
  const cases: Array<{
    name: string;
    build: () => PolicyInput;
    trigger: string | null;
    readiness: string | null;
    message?: RegExp;
    readinessMessage?: RegExp;
  }> = [
    {
      name: "secret missing",
      build: () => input(base, undefined),
      trigger: "DoesNotExist",
      readiness: "DoesNotExist",
      message: /^Issuing certificate as Secret does not exist$/,
    },
    {
      name: "secret without data",
      build: () => input(base, aSecret(base, undefined)),
      trigger: "MissingData",
      readiness: "MissingData",
      message: /does not contain any data/,
    },
    {
      name: "secret without tls.key",
      build: () => input(base, aSecret(base, m, withData({ "tls.crt": m.certPEM }))),
      trigger: "MissingData",
      readiness: "MissingData",
      message: /does not contain a private key/,
    },
    {
      name: "secret without tls.crt",
      build: () => input(base, aSecret(base, m, withData({ "tls.key": m.keyPEM }))),
      trigger: "MissingData",
      readiness: "MissingData",
      message: /does not contain a certificate/,
    },
    {
      name: "garbage key",
      build: () => input(base, aSecret(base, m, withData({ "tls.key": "nope", "tls.crt": m.certPEM }))),
      trigger: "InvalidKeyPair",
      readiness: "InvalidKeyPair",
      message: /invalid private key data/,
    },
    {
      name: "garbage certificate",
      build: () => input(base, aSecret(base, m, withData({ "tls.key": m.keyPEM, "tls.crt": "nope" }))),
      trigger: "InvalidCertificate",
      readiness: "InvalidCertificate",
    },
    {
      name: "key swapped",
      build: () => input(base, aSecret(base, m, withData({ "tls.key": otherKeyPEM, "tls.crt": m.certPEM }))),
      trigger: "InvalidKeyPair",
      readiness: "InvalidKeyPair",
      message: /does not match the certificate/,
    },
    {
      name: "issuer changed",
      build: () =>
        input(aCertificate(withRevision(1), withIssuer("other", "ClusterIssuer")), aSecret(base, m)),
      trigger: "IncorrectIssuer",
      readiness: "IncorrectIssuer",
      message: /previously issued by "Issuer.cert-manager.io\/ca"/,
    },
    {
      name: "empty kind/group annotations equal defaults",
      build: () => input(base, aSecret(base, m, withAnnotation("cert-manager.io/issuer-kind", ""))),
      trigger: null,
      readiness: "Ready",
    },
    {
      name: "secret issued for another certificate",
      build: () => input(base, aSecret(base, m, withAnnotation("cert-manager.io/certificate-name", "other"))),
      trigger: "IncorrectCertificate",
      readiness: "IncorrectCertificate",
      message: /Secret was issued for "other"/,
    },
    {
      name: "key algorithm changed",
      build: () => input(aCertificate(withRevision(1), withKeyAlgorithm("RSA", 2048)), aSecret(base, m)),
      trigger: "SecretMismatch",
      readiness: "SecretMismatch",
      message: /\[spec.privateKey.algorithm\]/,
    },
    {
      name: "key differs from current request",
      build: () => input(base, aSecret(base, m), { request: "" }),
      trigger: "InvalidCertificateRequest",
      readiness: "InvalidCertificateRequest",
    },
    {
      name: "dnsName added",
      build: () =>
        input(
          aCertificate(withRevision(1), withDNSNames("web.example.com", "new.example.com")),
          aSecret(base, m),
        ),
      trigger: "RequestChanged",
      readiness: "RequestChanged",
      message: /Fields on existing CertificateRequest resource not up to date: \[spec.dnsNames\]/,
    },
    {
      name: "no request: fuzzy compare of the certificate",
      build: () =>
        input(aCertificate(withRevision(1), withDNSNames("other.example.com")), aSecret(base, m), {
          request: false,
        }),
      trigger: "SecretMismatch",
      readiness: "SecretMismatch",
      message: /Existing issued Secret is not up to date for spec/,
    },
    { name: "up to date", build: () => input(base, aSecret(base, m)), trigger: null, readiness: "Ready" },
    {
      name: "past default renewal time (2/3 of lifetime)",
      build: () => input(base, aSecret(base, m), { now: new Date(issuedAt.getTime() + 61 * DAY) }),
      trigger: "Renewing",
      readiness: "Ready",
      message: /Renewing certificate as renewal was scheduled at/,
    },
    {
      name: "before renewal time with renewBefore",
      build: () =>
        input(aCertificate(withRevision(1), withRenewBefore("240h")), aSecret(base, m), {
          now: new Date(issuedAt.getTime() + 79 * DAY),
        }),
      trigger: null,
      readiness: "Ready",
    },
    {
      name: "after renewal time with renewBefore",
      build: () =>
        input(aCertificate(withRevision(1), withRenewBefore("240h")), aSecret(base, m), {
          now: new Date(issuedAt.getTime() + 81 * DAY),
        }),
      trigger: "Renewing",
      readiness: "Ready",
    },
    {
      // Base renewal time 2026-07-31T00:00Z; the window opens at 02:00 UTC.
      name: "past the base renewal time, before the renewal window opens",
      build: () =>
        input(aCertificate(withRevision(1), withRenewalWindows(daily2am)), aSecret(base, m), {
          now: new Date("2026-07-31T01:59:59Z"),
        }),
      trigger: null,
      readiness: "Ready",
    },
    {
      name: "renewal window open",
      build: () =>
        input(aCertificate(withRevision(1), withRenewalWindows(daily2am)), aSecret(base, m), {
          now: new Date("2026-07-31T02:00:00Z"),
        }),
      trigger: "Renewing",
      readiness: "Ready",
      message: /^Renewing certificate as renewal was scheduled at 2026-07-31T02:00:00Z$/,
    },
    {
      name: "renewal window that cannot be evaluated: renews at the base time",
      build: () =>
        input(aCertificate(withRevision(1), withRenewalWindows(marsWindow)), aSecret(base, m), {
          now: new Date("2026-07-31T00:00:00Z"),
        }),
      trigger: "Renewing",
      readiness: "Ready",
      message: /^Renewing certificate as renewal was scheduled at 2026-07-31T00:00:00Z$/,
    },
    {
      name: "expired",
      build: () => input(base, aSecret(base, m), { now: new Date(issuedAt.getTime() + 91 * DAY) }),
      trigger: "Renewing",
      readiness: "Expired",
      readinessMessage: /^Certificate expired on \w{3}, 30 Aug 2026 00:00:00 UTC$/,
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const i = c.build();
      const t = evaluate(triggerChain, i);
      expect(t?.reason ?? null).toBe(c.trigger);
      const r = evaluate(readinessChain, i);
      expect(r?.reason ?? "Ready").toBe(c.readiness);
      if (c.message) expect((t ?? r)!.message).toMatch(c.message);
      if (c.readinessMessage) expect(r!.message).toMatch(c.readinessMessage);
    });
  }
});

describe("failure backoff", () => {
  const s = { minBackoffMs: 3600_000, maxBackoffMs: 32 * 3600_000 };
  const cases = [
    { attempts: 1, since: 30 * 60_000, wait: 30 * 60_000 },
    { attempts: 1, since: 61 * 60_000, wait: 0 },
    { attempts: 2, since: 61 * 60_000, wait: 59 * 60_000 },
    { attempts: 3, since: 3 * 3600_000, wait: 3600_000 },
    { attempts: 10, since: 31 * 3600_000, wait: 3600_000 },
  ];
  for (const c of cases) {
    it(`attempt ${c.attempts}, ${c.since / 60_000} min after the failure → wait ${c.wait / 60_000} min`, () => {
      const failedAt = new Date(clock.now().getTime() - c.since);
      const cert = aCertificate(withRevision(1), withFailure(failedAt, c.attempts));
      const d = decideTrigger(input(cert, undefined), undefined, s);
      if (c.wait === 0) expect(d).toMatchObject({ kind: "issue", reason: "DoesNotExist" });
      else expect(d).toEqual({ kind: "wait", requeueAfterMs: c.wait });
    });
  }

  it("a spec change since the failed request lifts the backoff", () => {
    const failedAt = new Date(clock.now().getTime() - 60_000);
    const cert = aCertificate(withRevision(1), withFailure(failedAt, 1), withDNSNames("changed.example.com"));
    const next = aRequest(base, 2, m.csrPEM);
    const d = decideTrigger(input(cert, undefined), { cr: next, csr: parseRequestCSR(next) }, s);
    expect(d).toMatchObject({ kind: "issue" });
  });

  it("schedules a wake-up at the renewal time when nothing fires", () => {
    const d = decideTrigger(input(base, aSecret(base, m)), undefined, s);
    const at = renewalTime(new Date(issuedAt), new Date(issuedAt.getTime() + 90 * DAY), base.spec)!;
    expect(d).toEqual({ kind: "wait", requeueAfterMs: at.getTime() - clock.now().getTime() });
  });
});

describe("renewal windows in the trigger and readiness", () => {
  const s = { minBackoffMs: 3600_000, maxBackoffMs: 32 * 3600_000 };

  it("wakes the trigger when the window opens and says so in status.renewalTime", () => {
    const cert = aCertificate(withRevision(1), withRenewalWindows(daily2am));
    const i = input(cert, aSecret(base, m), { now: new Date("2026-07-30T02:00:00Z") });
    expect(decideTrigger(i, undefined, s)).toEqual({ kind: "wait", requeueAfterMs: DAY });
    const status = readinessStatus(cert, null, i.parsed?.cert, i.now);
    expect(status.renewalTime).toBe("2026-07-31T02:00:00Z");
  });

  it("falls back to the base time with a WindowError message when a window cannot be evaluated", () => {
    const cert = aCertificate(withRevision(1), withRenewalWindows(daily2am, marsWindow));
    const i = input(cert, aSecret(base, m), { now: new Date("2026-07-30T00:00:00Z") });
    expect(decideTrigger(i, undefined, s)).toEqual({
      kind: "wait",
      requeueAfterMs: DAY,
      windowError:
        "Renewal windows not applied, renewing at 2026-07-31T00:00:00Z: " +
        'spec.renewal.windows[1].timezone: unknown time zone "Mars/Olympus"',
    });
    expect(readinessStatus(cert, null, i.parsed?.cert, i.now).renewalTime).toBe("2026-07-31T00:00:00Z");
    // Past the base time the trigger fires, and still carries the message for the Event.
    const late = decideTrigger({ ...i, now: new Date("2026-07-31T00:00:00Z") }, undefined, s);
    expect(late).toMatchObject({
      kind: "issue",
      reason: "Renewing",
      windowError: expect.stringMatching(/Mars/),
    });
  });

  it("records the WindowError Event once per certificate, issued certificate and problem", () => {
    const recorder = new MemoryEventRecorder();
    const report = windowErrorReporter(recorder);
    const cert = aCertificate();
    const first = new Date("2026-08-30T00:00:00Z");
    const renewed = new Date("2026-11-28T00:00:00Z");
    report("ns/web", cert, first, "A");
    report("ns/web", cert, first, "A");
    expect(recorder.events).toHaveLength(1);
    expect(recorder.events[0]).toMatchObject({ type: "Warning", reason: "WindowError", message: "A" });
    report("ns/web", cert, first, "B"); // a different problem
    report("ns/web", cert, renewed, "B"); // the next certificate
    report("ns/web", cert, renewed, "B");
    expect(recorder.events.map((e) => e.message)).toEqual(["A", "B", "B"]);
    report("ns/web", cert, renewed, undefined); // fixed …
    report("ns/web", cert, renewed, "B"); // … and broken again
    expect(recorder.events).toHaveLength(4);
  });
});

describe("renewal time", () => {
  const nb = new Date("2026-01-01T00:00:00Z");
  const na = new Date(nb.getTime() + 90 * DAY);
  it.each([
    [{}, new Date(nb.getTime() + 60 * DAY)],
    [{ renewBefore: "720h" }, new Date(na.getTime() - 30 * DAY)],
    [{ renewBeforePercentage: 10 }, new Date(na.getTime() - 9 * DAY)],
    [{ renewBefore: "2400h" }, new Date(nb.getTime() + 60 * DAY)],
  ])("%j", (spec, want) => {
    expect(renewalTime(nb, na, spec)).toEqual(want);
  });
  it("is undefined when renewal is disabled", () => {
    expect(renewalTime(nb, na, { renewal: { policy: "Disabled" } })).toBeUndefined();
  });
});
