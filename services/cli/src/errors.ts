/**
 * The CLI's error catalogue. Every error a user can see has a stable `code`; the exit status says
 * what kind of failure it was.
 *
 * | class       | code               | exit | meaning                                          |
 * |-------------|--------------------|------|--------------------------------------------------|
 * | UsageError  | CK_CLI_USAGE       | 2    | wrong command line; usage is printed             |
 * | CliError    | CK_CLI_FAILED      | 1    | the command ran and failed (message says why)    |
 * | CheckFailed | CK_CHECK_*         | 1    | `check api` found the API not ready (see check)  |
 */
export class CliError extends Error {
  readonly code: string = "CK_CLI_FAILED";
  readonly exitCode: number = 1;
}

export class UsageError extends CliError {
  override readonly code = "CK_CLI_USAGE";
  override readonly exitCode = 2;
}
