/** `pnpm bench <name> [flags]`: runs one benchmark, prints its figures and writes them as JSON. */
const benches: Record<string, () => Promise<{ run(argv: string[]): Promise<void> }>> = {
  acme: () => import("./acme.ts"),
  issuance: () => import("./issuance.ts"),
  webhook: () => import("./webhook.ts"),
};

const [name, ...argv] = process.argv.slice(2);
if (!name || !benches[name]) {
  console.error(`usage: pnpm bench <${Object.keys(benches).join("|")}> [flags]`);
  process.exit(2);
}
await (await benches[name]()).run(argv);
process.exit(0);
