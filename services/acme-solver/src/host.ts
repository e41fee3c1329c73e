/**
 * Host matching for HTTP-01, as cert-manager's acmesolver does it: the request's Host header with
 * its port and IPv6 brackets stripped must equal the challenge's domain. We also compare
 * case-insensitively (DNS names are), ignore one trailing dot and write IPv6 addresses in their
 * canonical form, so `[0:0::1]:8089` matches a challenge for `::1`.
 */
import { isIPv6 } from "node:net";

/** ACME tokens are base64url (RFC 8555 §8.1); anything else is never a token we stored. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export function isValidToken(token: string): boolean {
  return TOKEN.test(token);
}

/** The host part of a Host header, normalised; undefined when there is nothing to compare. */
export function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  let host = header.trim();
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    if (end < 0) return undefined;
    host = host.slice(1, end);
  } else if (host.indexOf(":") === host.lastIndexOf(":")) {
    // One colon at most: name or IPv4 with an optional port. Several colons: a bare IPv6 address.
    const colon = host.indexOf(":");
    if (colon >= 0) host = host.slice(0, colon);
  }
  return normalizeDomain(host);
}

/** Lower case, no trailing dot, canonical IPv6; undefined for an empty name. */
export function normalizeDomain(name: string): string | undefined {
  let d = name.trim().toLowerCase();
  if (d.startsWith("[") && d.endsWith("]")) d = d.slice(1, -1);
  if (d.endsWith(".")) d = d.slice(0, -1);
  if (d === "") return undefined;
  if (isIPv6(d)) d = new URL(`http://[${d}]/`).hostname.slice(1, -1);
  return d;
}

export function hostMatches(header: string | undefined, domain: string): boolean {
  const host = hostOf(header);
  return host !== undefined && host === normalizeDomain(domain);
}

/** What logs show of a token: enough to correlate, not the whole value. */
export function tokenPrefix(token: string): string {
  return token.length > 8 ? `${token.slice(0, 8)}…` : token;
}
