/** @certkeeper/cainjector — CA bundle injection. main.ts runs it; this is for tests and tools. */
export { build, type BuildOptions, type CAInjectorApp } from "./app.ts";
export {
  CAInjectorConfigSchema,
  DEFAULT_LEASE_NAME,
  ENV_PREFIX,
  loadCAInjectorConfig,
  settingsOf,
  type CAInjectorConfig,
} from "./config.ts";
export { FIELD_MANAGER, EVENT_COMPONENT, InjectorStats, type Injection } from "./controller.ts";
export { INJECTABLES, planInjection, type Injectable, type InjectableKind } from "./injectables.ts";
export { mergeBundle, replaceBundle } from "./merge.ts";
export { SkipReasons, resolveCA, selectSource, type Scope, type SourceRef } from "./sources.ts";
