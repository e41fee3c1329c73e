import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/** Fixed structured-log keys shared by every service (STYLE.md rule 13). */
export interface ResourceRef {
  kind: string;
  namespace?: string | undefined;
  name: string;
  uid?: string | undefined;
}

export interface LoggerConfig {
  service: string;
  level?: string;
  /** Where to write; defaults to stderr so stdout stays free for command output (CLI). */
  destination?: NodeJS.WritableStream;
}

/**
 * Keys that must never be logged. pino's redaction removes them wherever they appear
 * at these depths, so a Secret or an ACME account key passed by mistake is not printed.
 */
const REDACT_PATHS = [
  "data",
  "*.data",
  "stringData",
  "*.stringData",
  "privateKey",
  "*.privateKey",
  "*.tls\\.key",
  "password",
  "*.password",
];

export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? process.env.LOG_LEVEL ?? "info",
    base: { service: config.service },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return pino(options, (config.destination as pino.DestinationStream | undefined) ?? pino.destination(2));
}

/** One child logger per reconcile, with the fixed resource keys. */
export function forResource(log: Logger, controller: string, ref: ResourceRef): Logger {
  return log.child({
    controller,
    resource_kind: ref.kind,
    resource_namespace: ref.namespace ?? "",
    resource_name: ref.name,
    resource_uid: ref.uid ?? "",
  });
}

/** A logger that discards everything; for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
