/**
 * The HTTP-01 self-check: before a challenge is accepted at the ACME server, fetch
 * `http://<dnsName>/.well-known/acme-challenge/<token>` ourselves, `passes` times `intervalMs`
 * apart, and require 200 with a body exactly equal to the key authorization. A misrouted
 * challenge then waits here instead of burning an authorization at the server.
 *
 * `address` (host:port) sends the requests elsewhere with `Host: <dnsName>` — for clusters where
 * the name does not resolve to the ingress from inside, and for tests. Errors carry
 * cert-manager's wording, which ends up in the Challenge's reason.
 */
import { request } from "node:http";
import { isIPv6 } from "node:net";

export const HTTP01_CHALLENGE_PATH = "/.well-known/acme-challenge";
const MAX_BODY = 1 << 20;

export interface SelfCheckOptions {
  passes: number;
  intervalMs: number;
  timeoutMs: number;
  /** host:port to connect to instead of <dnsName>:80. */
  address?: string;
  userAgent?: string;
}

/** The HTTP-01 self-check did not get the key authorization; the Challenge waits ("Waiting for HTTP-01 challenge propagation"). */
export class SelfCheckError extends Error {
  readonly code = "CK_ACME_SELF_CHECK";
  override name = "SelfCheckError";
}

export function challengeURL(dnsName: string, token: string): string {
  const host = isIPv6(dnsName) ? `[${dnsName}]` : dnsName;
  return `http://${host}${HTTP01_CHALLENGE_PATH}/${token}`;
}

function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

function get(
  dnsName: string,
  token: string,
  opts: SelfCheckOptions,
  signal?: AbortSignal,
): Promise<{ status: number; body: string }> {
  const target = opts.address ? splitAddress(opts.address) : { host: dnsName, port: 80 };
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        path: `${HTTP01_CHALLENGE_PATH}/${token}`,
        method: "GET",
        headers: {
          Host: isIPv6(dnsName) ? `[${dnsName}]` : dnsName,
          ...(opts.userAgent ? { "User-Agent": opts.userAgent } : {}),
        },
        timeout: opts.timeoutMs,
        agent: false,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_BODY) chunks.push(c);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout after ${opts.timeoutMs}ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** One reachability test; throws SelfCheckError with cert-manager's message. */
export async function testReachability(
  ch: { dnsName: string; token: string; key: string },
  opts: SelfCheckOptions,
  signal?: AbortSignal,
): Promise<void> {
  const url = challengeURL(ch.dnsName, ch.token);
  let res: { status: number; body: string };
  try {
    res = await get(ch.dnsName, ch.token, opts, signal);
  } catch (err) {
    throw new SelfCheckError(`failed to perform self check GET request '${url}': ${(err as Error).message}`);
  }
  if (res.status !== 200) throw new SelfCheckError(`wrong status code '${res.status}', expected '200'`);
  if (res.body !== ch.key) {
    const shown = res.body.length > 24 ? `${res.body.slice(0, 24).trim()}... (truncated)` : res.body;
    throw new SelfCheckError(
      `did not get expected response when querying endpoint, expected ${JSON.stringify(ch.key)} but got: ${shown}`,
    );
  }
}

/** `passes` reachability tests, `intervalMs` apart; the first failure ends the check. */
export async function http01SelfCheck(
  ch: { dnsName: string; token: string; key: string },
  opts: SelfCheckOptions,
  signal?: AbortSignal,
): Promise<void> {
  for (let i = 0; i < opts.passes; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, opts.intervalMs));
    if (signal?.aborted) throw new SelfCheckError("self check aborted");
    await testReachability(ch, opts, signal);
  }
}
