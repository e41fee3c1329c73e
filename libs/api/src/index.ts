/** @certkeeper/api: the cert-manager API (types, schemas, CRDs, defaults, reasons) in one place. */
export * from "./schemas/index.ts";
export * from "./types.ts";
export * from "./constants.ts";
export * from "./reasons.ts";
export * from "./duration.ts";
export * from "./cron.ts";
export * from "./defaults.ts";
export * from "./formats.ts";
export * from "./openapi.ts";
export * from "./crd.ts";
export * from "./structural.ts";
export * from "./render.ts";
