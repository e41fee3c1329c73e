/**
 * `check api` failures as friendly messages with stable codes. The API server reports a webhook
 * problem as one long string ("failed calling webhook ...: Post ...: tls: ... x509: certificate
 * signed by unknown authority"); this turns each known shape into what to do about it. Pure.
 *
 * | code                             | meaning                                                        |
 * |----------------------------------|----------------------------------------------------------------|
 * | CK_CHECK_API_UNREACHABLE         | the Kubernetes API server itself did not answer                |
 * | CK_CHECK_FORBIDDEN               | your identity may not create CertificateRequests (RBAC)        |
 * | CK_CHECK_CRDS_MISSING            | the cert-manager CRDs are not installed                        |
 * | CK_CHECK_WEBHOOK_CA_NOT_INJECTED | the API server does not trust the webhook's certificate yet    |
 * | CK_CHECK_WEBHOOK_SERVICE_MISSING | the webhook configuration names a Service that does not exist  |
 * | CK_CHECK_WEBHOOK_NO_ENDPOINTS    | the webhook Service has no ready pods behind it                |
 * | CK_CHECK_WEBHOOK_UNREACHABLE     | connection to the webhook refused / no route                   |
 * | CK_CHECK_WEBHOOK_TIMEOUT         | the webhook did not answer in time                             |
 * | CK_CHECK_WEBHOOK_FAILED          | any other failure calling the webhook                          |
 * | CK_CHECK_MUTATION_MISSING        | no mutating webhook set spec.username on a CertificateRequest  |
 * | CK_CHECK_VALIDATION_MISSING      | an invalid CertificateRequest was not rejected by the webhook  |
 * | CK_CHECK_FAILED                  | anything else (the API server's message is shown)              |
 */
import { ForbiddenError, KubeApiError, TransportError } from "@certkeeper/kube";
import { CliError } from "./errors.ts";

export const CHECK_CODES = {
  apiUnreachable: "CK_CHECK_API_UNREACHABLE",
  forbidden: "CK_CHECK_FORBIDDEN",
  crdsMissing: "CK_CHECK_CRDS_MISSING",
  caNotInjected: "CK_CHECK_WEBHOOK_CA_NOT_INJECTED",
  serviceMissing: "CK_CHECK_WEBHOOK_SERVICE_MISSING",
  noEndpoints: "CK_CHECK_WEBHOOK_NO_ENDPOINTS",
  unreachable: "CK_CHECK_WEBHOOK_UNREACHABLE",
  timeout: "CK_CHECK_WEBHOOK_TIMEOUT",
  webhookFailed: "CK_CHECK_WEBHOOK_FAILED",
  mutationMissing: "CK_CHECK_MUTATION_MISSING",
  validationMissing: "CK_CHECK_VALIDATION_MISSING",
  failed: "CK_CHECK_FAILED",
} as const;
export type CheckCode = (typeof CHECK_CODES)[keyof typeof CHECK_CODES];

export class CheckFailed extends CliError {
  override readonly code: CheckCode;
  constructor(code: CheckCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const WEBHOOK_SHAPES: { test: RegExp; code: CheckCode; message: (detail: string) => string }[] = [
  {
    test: /x509: certificate signed by unknown authority|certificate verify failed|unknown authority|failed to verify certificate/i,
    code: CHECK_CODES.caNotInjected,
    message: () =>
      "the webhook's CA is not injected yet: the API server does not trust the webhook's serving certificate " +
      "(x509: certificate signed by unknown authority). The cainjector copies ca.crt from the webhook's CA Secret " +
      "into the webhook configurations a few seconds after the webhook starts: is the cainjector running?",
  },
  {
    test: /service "[^"]*" not found/i,
    code: CHECK_CODES.serviceMissing,
    message: (d) => `the webhook's Service does not exist (${d}): was the chart installed completely?`,
  },
  {
    test: /no endpoints available for service/i,
    code: CHECK_CODES.noEndpoints,
    message: () => "the webhook's Service has no ready endpoints: are the webhook pods running and ready?",
  },
  {
    test: /connection refused|no route to host|connect: network is unreachable|EHOSTUNREACH|ECONNREFUSED/i,
    code: CHECK_CODES.unreachable,
    message: () =>
      "the API server cannot connect to the webhook (connection refused): is the webhook running and listening?",
  },
  {
    test: /context deadline exceeded|Client\.Timeout|i\/o timeout|timed out/i,
    code: CHECK_CODES.timeout,
    message: () =>
      "the webhook did not answer the API server in time: is it overloaded, or is a network policy in the way?",
  },
];

/** The API server's own text for an error, whatever wrapped it. */
export function apiMessage(err: unknown): string {
  if (err instanceof KubeApiError) return err.apiMessage || err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Whether the API server says an admission webhook refused or could not be called. */
export function isWebhookCallFailure(message: string): boolean {
  return /failed calling (admission )?webhook|failed to call webhook/i.test(message);
}

/** A friendly CheckFailed for an error raised while talking to the API. */
export function classifyCheckError(err: unknown): CheckFailed {
  if (err instanceof CheckFailed) return err;
  if (err instanceof TransportError) {
    return new CheckFailed(
      CHECK_CODES.apiUnreachable,
      `cannot reach the Kubernetes API server: ${err.message}`,
      { cause: err },
    );
  }
  const message = apiMessage(err);
  if (isWebhookCallFailure(message)) {
    for (const shape of WEBHOOK_SHAPES) {
      if (shape.test.test(message)) {
        return new CheckFailed(shape.code, `${shape.message(message)}\n  API server said: ${message}`, {
          cause: err,
        });
      }
    }
    return new CheckFailed(
      CHECK_CODES.webhookFailed,
      `the API server failed calling the webhook: ${message}`,
      { cause: err },
    );
  }
  if (err instanceof ForbiddenError) {
    return new CheckFailed(
      CHECK_CODES.forbidden,
      `your identity may not create CertificateRequests here, so the webhook cannot be checked: ${message}`,
      { cause: err },
    );
  }
  if (/the server could not find the requested resource|no matches for kind/i.test(message)) {
    return new CheckFailed(CHECK_CODES.crdsMissing, crdsMissingMessage(), { cause: err });
  }
  return new CheckFailed(CHECK_CODES.failed, message, { cause: err });
}

export function crdsMissingMessage(missing?: string[]): string {
  const what = missing && missing.length > 0 ? ` (missing: ${missing.join(", ")})` : "";
  return `the cert-manager CRDs are not installed${what}: install the chart with crds.enabled=true, or apply the CRDs`;
}
