/**
 * Entry point of the `certkeeper` CLI: the only file that reads argv/env, writes to the process
 * streams and handles signals. Ctrl-C ends waits and --follow cleanly (exit 0), a second one exits.
 */
import { run } from "./cli.ts";
import { streamOutput } from "./io.ts";

const abort = new AbortController();
process.once("SIGINT", () => {
  abort.abort();
  process.once("SIGINT", () => process.exit(130));
});
process.once("SIGTERM", () => abort.abort());

process.exitCode = await run(process.argv.slice(2), {
  out: streamOutput(process.stdout, process.stderr),
  env: process.env,
  signal: abort.signal,
});
