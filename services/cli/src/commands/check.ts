/**
 * `check api [--wait 1m] [--interval 5s]`: is the cert-manager API usable? In order:
 *   1. discovery has cert-manager.io/v1 and acme.cert-manager.io/v1 with all six kinds (CRDs);
 *   2. a dry-run create of a valid CertificateRequest comes back with spec.username set
 *      (the mutating webhook answered, so its CA is injected and it is reachable);
 *   3. a dry-run create of an invalid one is rejected by the validating webhook.
 * Dry runs go through admission (the webhooks declare sideEffects None) and store nothing.
 * With --wait the check repeats every --interval until it passes or the time is up.
 */
import { Buffer } from "node:buffer";
import {
  ACME_GROUP,
  API_VERSION,
  CERT_MANAGER_GROUP,
  Resources,
  type CertificateRequest,
} from "@certkeeper/api";
import { type KubeClient } from "@certkeeper/kube";
import { buildCSR, generatePrivateKey } from "@certkeeper/pki";
import { flagDuration } from "../args.ts";
import {
  apiMessage,
  CHECK_CODES,
  CheckFailed,
  classifyCheckError,
  crdsMissingMessage,
  isWebhookCallFailure,
} from "../check-errors.ts";
import { sleep, type CommandContext } from "../context.ts";
import { CM } from "../kube.ts";

export const CHECK_API_FLAGS = { booleans: [], values: ["wait", "interval"] };

interface Discovery {
  resources?: { name: string }[];
}

async function missingKinds(client: KubeClient): Promise<string[]> {
  const missing: string[] = [];
  for (const group of [CERT_MANAGER_GROUP, ACME_GROUP]) {
    let served = new Set<string>();
    try {
      const res = await client.transport.request({
        method: "GET",
        path: `/apis/${group}/${API_VERSION}`,
        verb: "get",
        resource: "discovery",
      });
      served = new Set(((JSON.parse(res.body) as Discovery).resources ?? []).map((r) => r.name));
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
    for (const r of Object.values(Resources)) {
      if (r.group === group && !served.has(r.plural)) missing.push(`${r.plural}.${r.group}`);
    }
  }
  return missing;
}

function checkRequest(namespace: string, request: string): CertificateRequest {
  return {
    apiVersion: `${CERT_MANAGER_GROUP}/${API_VERSION}`,
    kind: "CertificateRequest",
    metadata: { generateName: "certkeeper-check-api-", namespace },
    spec: {
      request: Buffer.from(request).toString("base64"),
      issuerRef: { name: "certkeeper-check-api", kind: "Issuer", group: CERT_MANAGER_GROUP },
    },
  } as CertificateRequest;
}

/** One pass of the check; throws CheckFailed. */
export async function checkApiOnce(client: KubeClient, namespace: string, csrPEM: string): Promise<void> {
  try {
    const missing = await missingKinds(client);
    if (missing.length > 0) throw new CheckFailed(CHECK_CODES.crdsMissing, crdsMissingMessage(missing));

    const created = await client.create<CertificateRequest>(
      CM.certificateRequests,
      checkRequest(namespace, csrPEM),
      {
        dryRun: true,
      },
    );
    if (!created.spec.username) {
      throw new CheckFailed(
        CHECK_CODES.mutationMissing,
        "the mutating webhook did not set spec.username on a CertificateRequest: is the MutatingWebhookConfiguration installed?",
      );
    }

    let rejected: unknown;
    try {
      await client.create(CM.certificateRequests, checkRequest(namespace, "this is not a CSR"), {
        dryRun: true,
      });
    } catch (err) {
      rejected = err;
    }
    if (rejected === undefined) {
      throw new CheckFailed(
        CHECK_CODES.validationMissing,
        "an invalid CertificateRequest was accepted: is the ValidatingWebhookConfiguration installed?",
      );
    }
    const message = apiMessage(rejected);
    if (isWebhookCallFailure(message)) throw rejected;
    if (!/admission webhook .* denied the request/i.test(message)) {
      throw new CheckFailed(
        CHECK_CODES.validationMissing,
        `an invalid CertificateRequest was rejected, but not by the webhook: ${message}`,
      );
    }
  } catch (err) {
    throw classifyCheckError(err);
  }
}

export async function checkApi(ctx: CommandContext): Promise<void> {
  if (ctx.args.positionals.length > 0) {
    throw new CheckFailed(CHECK_CODES.failed, `unexpected arguments: ${ctx.args.positionals.join(" ")}`);
  }
  const waitMs = flagDuration(ctx.args, "wait", 0);
  const intervalMs = flagDuration(ctx.args, "interval", 5000);
  const { client, namespace } = ctx.kube();
  const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const csr = buildCSR(
    { commonName: "certkeeper-check-api", dnsNames: ["certkeeper-check-api.invalid"] },
    key,
  );
  const deadline = ctx.now().getTime() + waitMs;
  let lastCode: string | undefined;
  for (;;) {
    try {
      await checkApiOnce(client, namespace, csr);
      ctx.out.out("The cert-manager API is ready");
      return;
    } catch (err) {
      const failure = classifyCheckError(err);
      if (ctx.now().getTime() + intervalMs > deadline || ctx.signal.aborted) throw failure;
      if (failure.code !== lastCode)
        ctx.out.err(`Not ready yet (${failure.code}): ${failure.message.split("\n")[0]}`);
      lastCode = failure.code;
      await sleep(intervalMs, ctx.signal);
    }
  }
}
