/**
 * `status certificate`: everything about one Certificate in one readable view — its conditions,
 * issuer, Secret (with the decoded certificate), the current CertificateRequest, the ACME Order and
 * Challenges, and recent Kubernetes events. Pure: the command gathers a StatusInput, this formats it.
 */
import type { Certificate, CertificateRequest, Challenge, GenericIssuer, Order } from "@certkeeper/api";
import type { ParsedCertificate } from "@certkeeper/pki";
import { describeCertificate } from "./certificate.ts";
import { age, conditionLine, table } from "./text.ts";

/** The parts of a core/v1 Event the view shows. */
export interface KubeEventLike {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  source?: { component?: string };
  reportingComponent?: string;
  metadata?: { creationTimestamp?: string };
}

export interface StatusInput {
  certificate: Certificate;
  issuer: { kind: string; name: string; object?: GenericIssuer | undefined; error?: string | undefined };
  secret: { name: string; exists: boolean; cert?: ParsedCertificate | undefined; error?: string | undefined };
  /** The CertificateRequest of the next revision, else of the current one, if any exists. */
  request?: CertificateRequest | undefined;
  order?: Order | undefined;
  challenges: Challenge[];
  events: KubeEventLike[];
}

export function eventTime(e: KubeEventLike): string | undefined {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
}

/** kubectl-describe style event table, oldest first. */
export function formatEvents(events: readonly KubeEventLike[], now: Date, indent = "  "): string[] {
  if (events.length === 0) return [`${indent}<none>`];
  const sorted = [...events].sort((a, b) => (eventTime(a) ?? "").localeCompare(eventTime(b) ?? ""));
  const rows = [["Type", "Reason", "Age", "From", "Message"]];
  for (const e of sorted) {
    const count = e.count && e.count > 1 ? ` (x${e.count})` : "";
    rows.push([
      e.type ?? "",
      e.reason ?? "",
      `${age(eventTime(e), now)}${count}`,
      e.source?.component ?? e.reportingComponent ?? "",
      e.message ?? "",
    ]);
  }
  return table(rows, indent);
}

function conditions(
  list: readonly { type: string; status: string; reason?: string; message?: string }[] | undefined,
  indent: string,
): string[] {
  if (!list || list.length === 0) return [`${indent}<none>`];
  return list.map((c) => `${indent}${conditionLine(c)}`);
}

function names(cert: Certificate): string[] {
  const s = cert.spec;
  const out: string[] = [];
  if (s.commonName) out.push(`Common Name: ${s.commonName}`);
  for (const [label, v] of [
    ["DNS Names", s.dnsNames],
    ["IP Addresses", s.ipAddresses],
    ["URIs", s.uris],
    ["Email Addresses", s.emailAddresses],
  ] as const) {
    if (v && v.length > 0) out.push(`${label}:`, ...v.map((x) => `- ${x}`));
  }
  return out;
}

function issuerSection(i: StatusInput["issuer"]): string[] {
  const lines = ["Issuer:", `  Name: ${i.name}`, `  Kind: ${i.kind}`];
  if (i.error) return [...lines, `  Error: ${i.error}`];
  if (!i.object) return [...lines, `  Not found: the ${i.kind} "${i.name}" does not exist`];
  return [
    ...lines,
    "  Conditions:",
    ...conditions(i.object.status?.conditions, "    "),
    `  Created at: ${i.object.metadata.creationTimestamp ?? "<unknown>"}`,
  ];
}

function secretSection(s: StatusInput["secret"], now: Date): string[] {
  const lines = ["Secret:", `  Name: ${s.name}`];
  if (s.error) return [...lines, `  Error: ${s.error}`];
  if (!s.exists) return [...lines, "  Not found: the Secret does not exist yet"];
  if (!s.cert) return [...lines, "  No certificate in tls.crt yet"];
  return [...lines, ...describeCertificate(s.cert, now, "  ")];
}

function requestSection(cr: CertificateRequest | undefined): string[] {
  if (!cr) return ["No CertificateRequest found for this Certificate"];
  return [
    "CertificateRequest:",
    `  Name: ${cr.metadata.name}`,
    `  Namespace: ${cr.metadata.namespace}`,
    `  Conditions:`,
    ...conditions(cr.status?.conditions, "    "),
    ...(cr.status?.failureTime ? [`  Failure Time: ${cr.status.failureTime}`] : []),
  ];
}

function orderSection(order: Order | undefined): string[] {
  if (!order) return [];
  const lines = [
    "Order:",
    `  Name: ${order.metadata.name}`,
    `  State: ${order.status?.state || "pending"}, Reason: ${order.status?.reason ?? ""}`,
  ];
  const authz = order.status?.authorizations ?? [];
  if (authz.length > 0) {
    lines.push("  Authorizations:");
    for (const a of authz) {
      const types = (a.challenges ?? []).map((c) => c.type).join(", ");
      lines.push(
        `    URL: ${a.url}, Identifier: ${a.identifier ?? ""}, Initial State: ${a.initialState ?? ""}, Wildcard: ${a.wildcard ?? false}`,
      );
      if (types) lines.push(`      Challenges offered: ${types}`);
    }
  }
  if (order.status?.failureTime) lines.push(`  Failure Time: ${order.status.failureTime}`);
  return lines;
}

function challengesSection(challenges: readonly Challenge[]): string[] {
  if (challenges.length === 0) return [];
  const lines = ["Challenges:"];
  for (const ch of challenges) {
    const st = ch.status ?? {};
    lines.push(
      `- Name: ${ch.metadata.name}, Type: ${ch.spec.type}, Token: ${ch.spec.token}, DNS name: ${ch.spec.dnsName}`,
      `  State: ${st.state || "pending"}, Reason: ${st.reason ?? ""}, Processing: ${st.processing ?? false}, Presented: ${st.presented ?? false}`,
    );
  }
  return lines;
}

export function formatCertificateStatus(input: StatusInput, now: Date): string[] {
  const cert = input.certificate;
  const st = cert.status ?? {};
  const lines = [
    `Name: ${cert.metadata.name}`,
    `Namespace: ${cert.metadata.namespace}`,
    `Created at: ${cert.metadata.creationTimestamp ?? "<unknown>"}`,
    "Conditions:",
    ...conditions(st.conditions, "  "),
    ...names(cert),
    "Events:",
    ...formatEvents(input.events, now),
    ...issuerSection(input.issuer),
    ...secretSection(input.secret, now),
  ];
  if (st.notBefore) lines.push(`Not Before: ${st.notBefore}`);
  if (st.notAfter) lines.push(`Not After: ${st.notAfter}`);
  if (st.renewalTime) lines.push(`Renewal Time: ${st.renewalTime}`);
  if (st.revision !== undefined) lines.push(`Revision: ${st.revision}`);
  if (st.lastFailureTime)
    lines.push(
      `Last Failure Time: ${st.lastFailureTime}${st.failedIssuanceAttempts ? ` (${st.failedIssuanceAttempts} failed attempts)` : ""}`,
    );
  lines.push(
    ...requestSection(input.request),
    ...orderSection(input.order),
    ...challengesSection(input.challenges),
  );
  return lines;
}
