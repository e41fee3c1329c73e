import { describe, expect, it } from "vitest";
import { run } from "./cli.ts";
import { memoryOutput } from "./io.ts";

async function cli(...argv: string[]) {
  const io = memoryOutput();
  const code = await run(argv, { out: io, env: {} });
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("certkeeper command line", () => {
  it("prints usage for help, and usage with exit 2 for nothing", async () => {
    const help = await cli("help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("  check api [--wait 1m] [--interval 5s]");
    expect((await cli()).code).toBe(2);
    expect((await cli("--help")).code).toBe(0);
    expect(await cli("renew", "--help")).toMatchObject({
      code: 0,
      stdout: [
        "Usage: certkeeper renew <name>... | --all | -l <selector> [-A]",
        "Mark Certificates for manual re-issuance",
      ],
    });
    expect(await cli("version")).toMatchObject({ code: 0, stdout: ["certkeeper 0.1.0"] });
  });

  it.each([
    [["frobnicate"], 'error: unknown command "frobnicate"'],
    [["status", "certificate", "x", "--follow"], "error: unknown flag for status: --follow"],
    [["renew", "--bogus"], "error: unknown flag: --bogus"],
    [["check", "apis"], "error: usage: check api [--wait 1m]"],
    [["check", "api", "--wait", "forever"], 'error: --wait: "forever" is not a duration (e.g. 30s, 10m, 1h)'],
    [["approve"], "error: the name of the CertificateRequest to approve has to be given as an argument"],
    [["events", "certificate/web", "-o", "yaml"], 'error: -o must be text or json, not "yaml"'],
  ])("refuses %j with exit 2", async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr[0]).toBe(message);
  });

  it("reports a kubeconfig that cannot be read with exit 1", async () => {
    const r = await cli("status", "certificate", "web", "--kubeconfig", "/nonexistent/kubeconfig");
    expect(r.code).toBe(1);
    expect(r.stderr[0]).toMatch(/^error: cannot load a kubeconfig: /);
  });
});
