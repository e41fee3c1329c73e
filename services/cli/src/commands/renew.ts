/**
 * `renew <name>... | --all | -l selector [-A]`: marks Certificates for re-issuance the way cmctl
 * does — Issuing=True, reason ManuallyTriggered, through a status update. The controller's trigger
 * sees the condition and issues; nothing is deleted.
 */
import { CertificateReason, ConditionMessage, ConditionType, type Certificate } from "@certkeeper/api";
import { isConflict, setCondition, type Condition, type KubeClient } from "@certkeeper/kube";
import { flagBool, flagString } from "../args.ts";
import type { CommandContext } from "../context.ts";
import { CliError, UsageError } from "../errors.ts";
import { CM } from "../kube.ts";

export const RENEW_FLAGS = { booleans: ["all"], values: ["selector"], aliases: { l: "selector" } };

/** The Certificate with Issuing=True/ManuallyTriggered (observedGeneration = generation). Pure. */
export function markForRenewal(cert: Certificate, now: Date): Certificate {
  const conditions = setCondition<Condition>(
    cert.status?.conditions as Condition[] | undefined,
    {
      type: ConditionType.Issuing,
      status: "True",
      reason: CertificateReason.ManuallyTriggered,
      message: ConditionMessage.ManuallyTriggered,
      ...(cert.metadata.generation !== undefined ? { observedGeneration: cert.metadata.generation } : {}),
    },
    now,
  );
  return { ...cert, status: { ...cert.status, conditions } as Certificate["status"] };
}

/** Which Certificates the arguments select, checked as cmctl checks them. Pure. */
export function renewSelection(
  names: string[],
  all: boolean,
  selector: string | undefined,
  allNamespaces: boolean,
): { names: string[] } | { list: { labelSelector?: string } } {
  if (selector && all) throw new UsageError("cannot use a label selector together with --all");
  if (names.length === 0) {
    if (!all && !selector) {
      throw new UsageError("give one or more Certificate names, a label selector (-l), or --all");
    }
    return { list: selector ? { labelSelector: selector } : {} };
  }
  if (selector) throw new UsageError("cannot give Certificate names together with a label selector");
  if (all) throw new UsageError("cannot give Certificate names together with --all");
  if (allNamespaces) throw new UsageError("cannot give Certificate names together with --all-namespaces");
  return { names };
}

async function renewOne(client: KubeClient, cert: Certificate, now: () => Date): Promise<void> {
  // A status update carries resourceVersion; on a conflict, read again and retry a few times.
  let current = cert;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.updateStatus(CM.certificates, markForRenewal(current, now()));
      return;
    } catch (err) {
      if (!isConflict(err) || attempt >= 5) {
        throw new CliError(
          `failed to trigger issuance of Certificate ${cert.metadata.namespace}/${cert.metadata.name}: ${(err as Error).message}`,
          { cause: err },
        );
      }
      current = await client.get<Certificate>(CM.certificates, cert.metadata.namespace, cert.metadata.name!);
    }
  }
}

export async function renew(ctx: CommandContext): Promise<void> {
  const sel = renewSelection(
    ctx.args.positionals,
    flagBool(ctx.args, "all"),
    flagString(ctx.args, "selector"),
    ctx.globals.allNamespaces,
  );
  const { client, namespace } = ctx.kube();
  let certs: Certificate[];
  if ("names" in sel) {
    certs = [];
    for (const name of sel.names) certs.push(await client.get<Certificate>(CM.certificates, namespace, name));
  } else {
    const list = await client.listAll<Certificate>(CM.certificates, {
      ...(ctx.globals.allNamespaces ? {} : { namespace }),
      ...sel.list,
    });
    certs = list.items;
  }
  if (certs.length === 0) {
    ctx.out.err(
      ctx.globals.allNamespaces
        ? "No Certificates found"
        : `No Certificates found in ${namespace} namespace.`,
    );
    return;
  }
  for (const cert of certs) {
    await renewOne(client, cert, ctx.now);
    ctx.out.out(
      `Manually triggered issuance of Certificate ${cert.metadata.namespace}/${cert.metadata.name}`,
    );
  }
}
