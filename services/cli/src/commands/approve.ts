/**
 * `approve <cr>` / `deny <cr>` [--reason R] [--message M]: adds Approved=True or Denied=True to a
 * CertificateRequest through its status subresource, as cmctl does. Both are final: a request that
 * is already approved or denied is refused. The webhook checks that the caller may `approve` the
 * request's signer (RBAC on signers.cert-manager.io), so this works only for allowed users.
 */
import { CertificateRequestReason, ConditionType, type CertificateRequest } from "@certkeeper/api";
import { getCondition, setCondition, type Condition } from "@certkeeper/kube";
import { flagString } from "../args.ts";
import type { CommandContext } from "../context.ts";
import { CliError, UsageError } from "../errors.ts";
import { CM } from "../kube.ts";

export const DECISION_FLAGS = { booleans: [], values: ["reason", "message"] };

export type Decision = "approve" | "deny";

/** Why `cr` cannot take a decision any more, or undefined. Pure. */
export function decisionBlocked(cr: CertificateRequest): string | undefined {
  const conds = cr.status?.conditions as Condition[] | undefined;
  if (getCondition(conds, ConditionType.Approved)?.status === "True")
    return "CertificateRequest is already approved";
  if (getCondition(conds, ConditionType.Denied)?.status === "True")
    return "CertificateRequest is already denied";
  return undefined;
}

/** The request with the decision's condition set. Pure. */
export function withDecision(
  cr: CertificateRequest,
  decision: Decision,
  reason: string,
  message: string,
  now: Date,
): CertificateRequest {
  const conditions = setCondition<Condition>(
    cr.status?.conditions as Condition[] | undefined,
    {
      type: decision === "approve" ? ConditionType.Approved : ConditionType.Denied,
      status: "True",
      reason,
      message,
    },
    now,
  );
  return { ...cr, status: { ...cr.status, conditions } as CertificateRequest["status"] };
}

export async function decide(ctx: CommandContext, decision: Decision): Promise<void> {
  const [name, ...rest] = ctx.args.positionals;
  if (!name)
    throw new UsageError(`the name of the CertificateRequest to ${decision} has to be given as an argument`);
  if (rest.length > 0)
    throw new UsageError("only one argument can be given: the name of the CertificateRequest");
  const reason = flagString(ctx.args, "reason") ?? CertificateRequestReason.KubectlCertManager;
  const verb = decision === "approve" ? "approved" : "denied";
  const message = flagString(ctx.args, "message") ?? `manually ${verb} by "certkeeper"`;
  if (!reason) throw new UsageError(`a reason must be given as to who ${verb} this CertificateRequest`);
  if (!message) throw new UsageError(`a message must be given as to why this CertificateRequest is ${verb}`);

  const { client, namespace } = ctx.kube();
  const cr = await client.get<CertificateRequest>(CM.certificateRequests, namespace, name);
  const blocked = decisionBlocked(cr);
  if (blocked) throw new CliError(blocked);
  await client.updateStatus(CM.certificateRequests, withDecision(cr, decision, reason, message, ctx.now()));
  ctx.out.out(`${decision === "approve" ? "Approved" : "Denied"} CertificateRequest '${namespace}/${name}'`);
}
