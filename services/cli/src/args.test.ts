import { describe, expect, it } from "vitest";
import { flagDuration, GLOBAL_FLAGS, mergeSpecs, parseArgs } from "./args.ts";
import { UsageError } from "./errors.ts";
import { RENEW_FLAGS } from "./commands/renew.ts";

const spec = mergeSpecs(GLOBAL_FLAGS, RENEW_FLAGS, {
  booleans: ["follow"],
  values: ["since", "wait"],
  aliases: { f: "follow" },
});

describe("parseArgs", () => {
  it.each([
    [["renew", "a", "-n", "apps"], ["renew", "a"], { namespace: "apps" }],
    [["-n=apps", "renew", "--all"], ["renew"], { namespace: "apps", all: true }],
    [["renew", "-A", "-l", "app=web"], ["renew"], { "all-namespaces": true, selector: "app=web" }],
    [
      ["events", "certificate/x", "--since", "10m", "-f"],
      ["events", "certificate/x"],
      { since: "10m", follow: true },
    ],
    [["--kubeconfig=/k", "status", "certificate", "x"], ["status", "certificate", "x"], { kubeconfig: "/k" }],
    [["renew", "--all=false", "x"], ["renew", "x"], {}],
    [["renew", "--", "-weird-name"], ["renew", "-weird-name"], {}],
  ])("%j", (argv, positionals, flags) => {
    const parsed = parseArgs(argv, spec);
    expect(parsed.positionals).toEqual(positionals);
    expect(Object.fromEntries(parsed.flags)).toEqual(flags);
  });

  it.each([
    [["--bogus"], /unknown flag: --bogus/],
    [["-z"], /unknown flag: -z/],
    [["renew", "-n"], /needs an argument: --namespace/],
    [["--all=maybe"], /takes true or false/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseArgs(argv, spec)).toThrow(UsageError);
    expect(() => parseArgs(argv, spec)).toThrow(message);
  });

  it("reads Go durations", () => {
    expect(flagDuration(parseArgs(["--wait", "1m30s"], spec), "wait", 0)).toBe(90_000);
    expect(flagDuration(parseArgs([], spec), "wait", 5)).toBe(5);
    expect(() => flagDuration(parseArgs(["--wait", "soon"], spec), "wait", 0)).toThrow(/not a duration/);
  });
});
