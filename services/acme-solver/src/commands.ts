/**
 * The solver's command endpoints, served through the NATS services framework in the `acme-solver`
 * queue group (one replica handles each command):
 *
 *   cm.v1.cmd.challenge.<uid>.present  HTTP-01 → store token → { domain, key } in KV, reply ok
 *   cm.v1.cmd.challenge.<uid>.cleanup  HTTP-01 → delete the token
 *   DNS-01 (either verb)               → 501 CK_SOLVER_DNS01_UNSUPPORTED
 *
 * Both are idempotent: presenting twice rewrites the same entry (and restarts its TTL), cleaning up
 * a token that is not there succeeds.
 */
import {
  CleanupChallengeSchema,
  PresentChallengeSchema,
  filters,
  type CommandReply,
  type Envelope,
} from "@certkeeper/contracts";
import type { CommandEndpoint } from "@certkeeper/bus";
import { forResource, type Logger } from "@certkeeper/logging";
import { Dns01NotSupportedError, InvalidChallengeError } from "./errors.ts";
import { isValidToken, normalizeDomain, tokenPrefix } from "./host.ts";
import type { TokenRecord } from "./tokens.ts";

export interface TokenWriter {
  put(token: string, record: TokenRecord): Promise<unknown>;
  delete(token: string): Promise<void>;
}

export interface CommandDeps {
  tokens: TokenWriter;
  log: Logger;
}

export const SOLVER_NAME = "acme-solver";

export function solverEndpoints(deps: CommandDeps): {
  present: CommandEndpoint<typeof PresentChallengeSchema>;
  cleanup: CommandEndpoint<typeof CleanupChallengeSchema>;
} {
  return {
    present: {
      subject: filters.command("challenge", "present"),
      schema: PresentChallengeSchema,
      async handler(env) {
        const { token, domain } = checked(env);
        const log = logFor(deps.log, env, token, domain);
        await deps.tokens.put(token, { domain, key: env.data.key });
        log.info("presented HTTP-01 challenge");
        return {
          ok: true,
          message: `presented token ${tokenPrefix(token)} for ${domain}`,
        } satisfies CommandReply;
      },
    },
    cleanup: {
      subject: filters.command("challenge", "cleanup"),
      schema: CleanupChallengeSchema,
      async handler(env) {
        const { token, domain } = checked(env);
        const log = logFor(deps.log, env, token, domain);
        await deps.tokens.delete(token);
        log.info("cleaned up HTTP-01 challenge");
        return { ok: true, message: `cleaned up token ${tokenPrefix(token)}` } satisfies CommandReply;
      },
    },
  };
}

type ChallengeData = { type: "HTTP-01" | "DNS-01"; dnsName: string; token: string };

function checked(env: Envelope<ChallengeData>): { token: string; domain: string } {
  const { type, dnsName, token } = env.data;
  if (type === "DNS-01") {
    throw new Dns01NotSupportedError(
      `DNS-01 challenges are not supported by this solver yet (challenge for ${dnsName})`,
    );
  }
  if (!isValidToken(token)) {
    throw new InvalidChallengeError(
      "the HTTP-01 token must be base64url (A-Z a-z 0-9 _ -), at most 256 characters",
    );
  }
  const domain = normalizeDomain(dnsName);
  if (domain === undefined || domain.includes("*") || /[\s/]/.test(domain)) {
    throw new InvalidChallengeError(`${JSON.stringify(dnsName)} cannot be validated over HTTP-01`);
  }
  return { token, domain };
}

function logFor(log: Logger, env: Envelope<unknown>, token: string, domain: string): Logger {
  return forResource(log, SOLVER_NAME, env.resource).child({ token: tokenPrefix(token), domain });
}
