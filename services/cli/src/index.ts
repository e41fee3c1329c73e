/** @certkeeper/cli: the `certkeeper` command line (run it with `tsx services/cli/src/main.ts`). */
export { run, usage, VERSION, type RunDeps } from "./cli.ts";
export { memoryOutput, streamOutput, type Output } from "./io.ts";
export { CliError, UsageError } from "./errors.ts";
export { CHECK_CODES, CheckFailed, classifyCheckError, type CheckCode } from "./check-errors.ts";
export { formatCertificateStatus, formatEvents, type StatusInput } from "./format/status.ts";
export { formatSecretInspection, describeCertificate } from "./format/certificate.ts";
export { formatTimelineEvent, formatTimelineJson, formatData } from "./format/events.ts";
