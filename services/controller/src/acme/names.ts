/**
 * Deterministic names for Orders and Challenges, as cert-manager builds them:
 *
 *   Order     <CertificateRequest name, DNS-safely shortened to 52>-<FNV-1 32 of the spec without request>
 *   Challenge <Order name, shortened to 52>-<FNV-1 32 of the spec without key>
 *
 * The hash is the decimal 32-bit FNV-1 (not 1a) of the spec's JSON. Top-level fields are written
 * in the order of cert-manager's Go structs; nested objects (issuerRef, solver) with their keys
 * sorted, which is how the API server hands back the issuer's solver config. A retried create
 * meets AlreadyExists rather than making a duplicate.
 */
import type { ChallengeSpec, OrderSpec } from "@certkeeper/api";

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** 32-bit FNV-1 over the UTF-8 bytes of `data`. */
export function fnv1_32(data: string | Uint8Array): number {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let h = FNV32_OFFSET;
  for (const b of bytes) {
    h = Math.imul(h, FNV32_PRIME) >>> 0;
    h = (h ^ b) >>> 0;
  }
  return h >>> 0;
}

/** Shortens to at most `max` characters, ending on a letter or digit (cert-manager's DNSSafeShortenToNCharacters). */
export function dnsSafeShorten(name: string, max = 52): string {
  if (name.length < max) return name;
  const cut = name.slice(0, max);
  const m = /[A-Za-z0-9](?=[^A-Za-z0-9]*$)/.exec(cut);
  return m ? cut.slice(0, m.index + 1) : "";
}

/** JSON with object keys sorted at every level (arrays keep their order). */
export function sortedJSON(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : val,
  );
}

/** Writes `fields` in the given order, dropping undefined (Go's omitempty for our optional fields). */
function ordered(fields: Array<[string, unknown, "omitempty"?]>): string {
  const parts: string[] = [];
  for (const [k, v, omit] of fields) {
    const empty = v === undefined || v === "" || v === false || (Array.isArray(v) && v.length === 0);
    if (v === undefined || (omit && empty)) continue;
    parts.push(`${JSON.stringify(k)}:${sortedJSON(v)}`);
  }
  return `{${parts.join(",")}}`;
}

export function computeName(prefix: string, specJSON: string): string {
  return `${dnsSafeShorten(prefix)}-${fnv1_32(specJSON)}`;
}

/** The JSON the Order name is hashed from: the spec with `request` nulled. */
export function orderSpecHashInput(spec: OrderSpec): string {
  return ordered([
    ["request", null],
    ["issuerRef", spec.issuerRef],
    ["commonName", spec.commonName, "omitempty"],
    ["dnsNames", spec.dnsNames, "omitempty"],
    ["ipAddresses", spec.ipAddresses, "omitempty"],
    ["duration", spec.duration, "omitempty"],
    ["profile", spec.profile, "omitempty"],
    ["replaces", spec.replaces, "omitempty"],
  ]);
}

export function orderName(requestName: string, spec: OrderSpec): string {
  return computeName(requestName, orderSpecHashInput(spec));
}

/** The JSON a Challenge name is hashed from: the spec before its key is filled in. */
export function challengeSpecHashInput(spec: Omit<ChallengeSpec, "key"> & { key?: string }): string {
  return ordered([
    ["url", spec.url],
    ["authorizationURL", spec.authorizationURL],
    ["dnsName", spec.dnsName],
    ["wildcard", spec.wildcard ?? false, "omitempty"],
    ["type", spec.type],
    ["token", spec.token],
    ["key", ""],
    ["solver", spec.solver],
    ["issuerRef", spec.issuerRef],
  ]);
}

export function challengeName(
  orderName: string,
  spec: Omit<ChallengeSpec, "key"> & { key?: string },
): string {
  return computeName(orderName, challengeSpecHashInput(spec));
}
