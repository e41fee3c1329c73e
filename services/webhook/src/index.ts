/** @certkeeper/webhook: admission validation and mutation for the cert-manager API, with its own serving TLS. */
export { build, type BuildOptions, type WebhookApps } from "./app.ts";
export { validateReview, mutateReview, type AdmissionDeps, type Denial } from "./admission.ts";
export { Decoder, DecodeError, kindForResource } from "./admission/decode.ts";
export * from "./admission/review.ts";
export { loadWebhookConfig, WebhookConfigSchema, type WebhookConfig } from "./config.ts";
export { DiscoverySignerResolver, SubjectAccessReviewer } from "./authz.ts";
export { NatsDenials, publishDenial, type DenialSink } from "./events.ts";
export { createMetrics, type WebhookMetrics } from "./metrics.ts";
export * from "./plugins/approval.ts";
export { identityPatch, validateIdentityCreate, validateIdentityUpdate } from "./plugins/identity.ts";
export { DynamicServingTLS, type DynamicServingOptions, type ServingCertificate } from "./tls/dynamic.ts";
export { generateCA, issueServingLeaf, CA_COMMON_NAME, type KeyPair } from "./tls/issue.ts";
export { caProblem, caSecret, renewalTime, MANAGED_BY } from "./tls/policy.ts";
export * from "./validation/index.ts";
