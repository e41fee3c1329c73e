/** @certkeeper/acme-solver — the HTTP-01 solver service. main.ts runs it; this is for tests and tools. */
export { build, type AppOptions, type SolverApp } from "./app.ts";
export { SolverConfigSchema, type SolverConfig } from "./config.ts";
export {
  Dns01NotSupportedError,
  InvalidChallengeError,
  SolverError,
  TokenStoreUnavailableError,
} from "./errors.ts";
export { hostMatches, hostOf, normalizeDomain } from "./host.ts";
