import { beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "@certkeeper/kube";
import { INJECTABLES, planInjection } from "./injectables.ts";
import { aCA, anExpiredCA, b64 } from "./test-helpers.ts";

let ca1: string;
let ca2: string;
let expired: string;
const now = new Date();
const merging = { merging: true, now };

beforeAll(async () => {
  [ca1, ca2, expired] = await Promise.all([aCA("ca-1"), aCA("ca-2"), anExpiredCA("old")]);
});

const webhooks = (...bundles: Array<string | undefined>): KubeObject =>
  ({
    metadata: { name: "w", resourceVersion: "42" },
    webhooks: bundles.map((b, i) => ({
      name: `w${i}.example.com`,
      clientConfig: { url: "https://x", ...(b !== undefined ? { caBundle: b64(b) } : {}) },
    })),
  }) as KubeObject;

describe("planInjection", () => {
  it("sets every webhook's caBundle, guarded by the resourceVersion read", () => {
    const plan = planInjection(
      INJECTABLES.validatingWebhookConfiguration,
      webhooks(undefined, undefined),
      ca1,
      merging,
    );
    expect(plan?.patch).toEqual([
      { op: "replace", path: "/metadata/resourceVersion", value: "42" },
      { op: "add", path: "/webhooks/0/clientConfig/caBundle", value: b64(ca1) },
      { op: "add", path: "/webhooks/1/clientConfig/caBundle", value: b64(ca1) },
    ]);
    expect(plan).toMatchObject({ fields: 2, certificates: 1 });
  });

  it("writes only the fields that change", () => {
    const plan = planInjection(INJECTABLES.mutatingWebhookConfiguration, webhooks(ca1, ""), ca1, merging);
    expect(plan?.patch.slice(1)).toEqual([
      { op: "add", path: "/webhooks/1/clientConfig/caBundle", value: b64(ca1) },
    ]);
  });

  it("plans nothing when every bundle already holds the CA", () => {
    expect(
      planInjection(INJECTABLES.validatingWebhookConfiguration, webhooks(ca1, ca1), ca1, merging),
    ).toBeUndefined();
    expect(
      planInjection(INJECTABLES.validatingWebhookConfiguration, webhooks(), ca1, merging),
    ).toBeUndefined();
  });

  it("appends a rotated CA and drops expired ones", () => {
    const plan = planInjection(
      INJECTABLES.validatingWebhookConfiguration,
      webhooks(expired + ca1),
      ca2,
      merging,
    );
    expect(plan?.patch[1]).toEqual({
      op: "add",
      path: "/webhooks/0/clientConfig/caBundle",
      value: b64(ca1 + ca2),
    });
    expect(plan?.certificates).toBe(2);
  });

  it("replaces the bundle when merging is off", () => {
    const plan = planInjection(INJECTABLES.validatingWebhookConfiguration, webhooks(ca1), ca2, {
      merging: false,
      now,
    });
    expect(plan?.patch[1]).toEqual({ op: "add", path: "/webhooks/0/clientConfig/caBundle", value: b64(ca2) });
  });

  it("does not empty a bundle when the source CA has expired", () => {
    expect(
      planInjection(INJECTABLES.validatingWebhookConfiguration, webhooks(expired), expired, merging),
    ).toBeUndefined();
  });

  it("APIService: spec.caBundle", () => {
    const obj = {
      metadata: { name: "v1.x", resourceVersion: "7" },
      spec: { group: "x", version: "v1" },
    } as KubeObject;
    expect(planInjection(INJECTABLES.apiService, obj, ca1, merging)?.patch[1]).toEqual({
      op: "add",
      path: "/spec/caBundle",
      value: b64(ca1),
    });
  });

  it("CRD: only with strategy Webhook", () => {
    const crd = (conversion: unknown) =>
      ({ metadata: { name: "c", resourceVersion: "1" }, spec: { conversion } }) as KubeObject;
    const plan = planInjection(
      INJECTABLES.customResourceDefinition,
      crd({
        strategy: "Webhook",
        webhook: { clientConfig: { url: "https://x" }, conversionReviewVersions: ["v1"] },
      }),
      ca1,
      merging,
    );
    expect(plan?.patch[1]).toEqual({
      op: "add",
      path: "/spec/conversion/webhook/clientConfig/caBundle",
      value: b64(ca1),
    });
    expect(
      planInjection(INJECTABLES.customResourceDefinition, crd({ strategy: "None" }), ca1, merging),
    ).toBeUndefined();
    expect(planInjection(INJECTABLES.customResourceDefinition, crd(undefined), ca1, merging)).toBeUndefined();
  });

  it("CRD: creates a missing clientConfig holding only the caBundle", () => {
    const obj = {
      metadata: { name: "c" },
      spec: { conversion: { strategy: "Webhook", webhook: {} } },
    } as KubeObject;
    expect(planInjection(INJECTABLES.customResourceDefinition, obj, ca1, merging)?.patch).toEqual([
      { op: "add", path: "/spec/conversion/webhook/clientConfig", value: { caBundle: b64(ca1) } },
    ]);
  });
});
