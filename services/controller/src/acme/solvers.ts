/**
 * Solver selection for one authorization (pure), with cert-manager's precedence:
 *
 *   only solvers whose type (http01 / dns01) the ACME server offers for this authorization
 *   → a solver without selector is the fallback (the first such one)
 *   → a dnsNames match beats any match without one
 *   → then the longer (more labels) dnsZones match
 *   → then more matching labels
 *   → ties go to the solver listed first
 *
 * When nothing fits, `explainNoSolver` says why in words a user can act on (e.g. a wildcard name
 * with only HTTP-01 solvers configured).
 */
import type { ACMEChallenge, ACMEChallengeSolver } from "@certkeeper/api";

export interface SolverChoice {
  solver: ACMEChallengeSolver;
  challenge: ACMEChallenge;
}

/** Number of labels two names share from the right, case-insensitively (miekg/dns CompareDomainName). */
export function commonLabels(a: string, b: string): number {
  const la = labels(a);
  const lb = labels(b);
  let n = 0;
  while (n < la.length && n < lb.length && la[la.length - 1 - n] === lb[lb.length - 1 - n]) n++;
  return n;
}

function labels(name: string): string[] {
  return name
    .toLowerCase()
    .replace(/\.$/, "")
    .split(".")
    .filter((l) => l !== "");
}

interface Score {
  labels: number;
  dnsNames: number;
  dnsZones: number;
}

/** How a selector matches `domain` (with `*.` for wildcards), or null if it does not. */
export function selectorScore(
  solver: ACMEChallengeSolver,
  domain: string,
  orderLabels: Record<string, string>,
): Score | null {
  const sel = solver.selector!;
  let labelMatches = 0;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (orderLabels[k] !== v) return null;
    labelMatches++;
  }
  let dnsNames = 0;
  if (sel.dnsNames && sel.dnsNames.length > 0) {
    if (!sel.dnsNames.includes(domain)) return null;
    dnsNames = 1;
  }
  let dnsZones = 0;
  if (sel.dnsZones && sel.dnsZones.length > 0) {
    for (const zone of sel.dnsZones) {
      const n = commonLabels(zone, domain);
      if (n === labels(zone).length && n > dnsZones) dnsZones = n;
    }
    if (dnsZones === 0) return null;
  }
  return { labels: labelMatches, dnsNames, dnsZones };
}

function offered(
  solver: ACMEChallengeSolver,
  challenges: readonly ACMEChallenge[],
): ACMEChallenge | undefined {
  return challenges.find(
    (c) => (c.type === "http-01" && solver.http01) || (c.type === "dns-01" && solver.dns01),
  );
}

/** Is `next` a better match than `best`? (both matched) */
function beats(next: Score, best: Score): boolean {
  const nextNames = next.dnsNames > 0;
  const bestNames = best.dnsNames > 0;
  if (nextNames !== bestNames) return nextNames;
  if (!nextNames) {
    const nextZones = next.dnsZones > 0;
    const bestZones = best.dnsZones > 0;
    if (nextZones !== bestZones) return nextZones;
  }
  if (next.dnsZones !== best.dnsZones) return next.dnsZones > best.dnsZones;
  return next.labels > best.labels;
}

/**
 * Picks the solver for `identifier` (the authorization's name without `*.`). `challenges` are the
 * ones the server offers for the authorization; `orderLabels` the Order's labels.
 */
export function pickSolver(
  identifier: string,
  wildcard: boolean,
  challenges: readonly ACMEChallenge[],
  solvers: readonly ACMEChallengeSolver[],
  orderLabels: Record<string, string> = {},
): SolverChoice | undefined {
  const domain = wildcard ? `*.${identifier}` : identifier;
  let best: { choice: SolverChoice; score: Score } | undefined;
  for (const solver of solvers) {
    const challenge = offered(solver, challenges);
    if (!challenge) continue;
    if (!solver.selector) {
      best ??= { choice: { solver, challenge }, score: { labels: 0, dnsNames: 0, dnsZones: 0 } };
      continue;
    }
    const score = selectorScore(solver, domain, orderLabels);
    if (!score) continue;
    if (!best || beats(score, best.score)) best = { choice: { solver, challenge }, score };
  }
  return best?.choice;
}

const typeOf = (s: ACMEChallengeSolver) => (s.http01 ? "HTTP-01" : s.dns01 ? "DNS-01" : "no type");

/** Why pickSolver found nothing, appended to cert-manager's "no configured challenge solvers…" error. */
export function explainNoSolver(
  identifier: string,
  wildcard: boolean,
  challenges: readonly ACMEChallenge[],
  solvers: readonly ACMEChallengeSolver[],
  orderLabels: Record<string, string> = {},
): string {
  const domain = wildcard ? `*.${identifier}` : identifier;
  if (solvers.length === 0) return `the issuer has no solvers configured (needed for "${domain}")`;
  const types = [...new Set(challenges.map((c) => c.type))].sort();
  const matching = solvers.filter((s) => !s.selector || selectorScore(s, domain, orderLabels));
  if (matching.length === 0) return `no solver's selector matches "${domain}"`;
  const matchingTypes = [...new Set(matching.map(typeOf))].sort();
  if (wildcard && !matching.some((s) => s.dns01)) {
    return `"${domain}" is a wildcard name, which can only be validated with DNS-01, but the solvers for it are ${matchingTypes.join(", ")} only`;
  }
  return `the ACME server offers ${types.join(", ") || "no challenges"} for "${domain}", but the solvers for it are ${matchingTypes.join(", ")}`;
}
