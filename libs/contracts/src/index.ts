export * from "./subjects.ts";
export * from "./envelope.ts";
export * from "./streams.ts";
export * from "./payloads.ts";
