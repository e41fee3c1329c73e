import { describe, expect, it } from "vitest";
import { ForbiddenError, InvalidError, KubeApiError, TransportError } from "@certkeeper/kube";
import { CHECK_CODES, classifyCheckError } from "./check-errors.ts";

const req = { verb: "POST", path: "/apis/cert-manager.io/v1/namespaces/default/certificaterequests" };
const internal = (message: string) => new KubeApiError(500, { reason: "InternalError", message }, req);
const post = 'Post "https://certkeeper-webhook.certkeeper.svc:443/mutate?timeout=30s"';

describe("classifyCheckError", () => {
  it.each([
    [
      `Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: ${post}: tls: failed to verify certificate: x509: certificate signed by unknown authority`,
      CHECK_CODES.caNotInjected,
      /CA is not injected yet.*x509: certificate signed by unknown authority/s,
    ],
    [
      `Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: ${post}: dial tcp 10.0.0.9:443: connect: connection refused`,
      CHECK_CODES.unreachable,
      /connection refused/,
    ],
    [
      `Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: ${post}: service "certkeeper-webhook" not found`,
      CHECK_CODES.serviceMissing,
      /Service does not exist/,
    ],
    [
      `Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: ${post}: no endpoints available for service "certkeeper-webhook"`,
      CHECK_CODES.noEndpoints,
      /no ready endpoints/,
    ],
    [
      `Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: ${post}: context deadline exceeded`,
      CHECK_CODES.timeout,
      /did not answer/,
    ],
    [
      `Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: the server responded with 500`,
      CHECK_CODES.webhookFailed,
      /failed calling the webhook/,
    ],
  ])("%s", (message, code, friendly) => {
    const failure = classifyCheckError(internal(message));
    expect(failure.code).toBe(code);
    expect(failure.message).toMatch(friendly);
    expect(failure.cause).toBeInstanceOf(KubeApiError);
  });

  it("tells RBAC, an unreachable API server and missing CRDs apart", () => {
    expect(classifyCheckError(new ForbiddenError(403, { message: "forbidden" }, req)).code).toBe(
      CHECK_CODES.forbidden,
    );
    expect(classifyCheckError(new TransportError(req, { cause: new Error("ECONNREFUSED") })).code).toBe(
      CHECK_CODES.apiUnreachable,
    );
    expect(
      classifyCheckError(
        new KubeApiError(404, { message: "the server could not find the requested resource" }, req),
      ).code,
    ).toBe(CHECK_CODES.crdsMissing);
    expect(
      classifyCheckError(new InvalidError(422, { message: "spec.request: Required value" }, req)).code,
    ).toBe(CHECK_CODES.failed);
  });
});
