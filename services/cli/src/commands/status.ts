/**
 * `status certificate <name> [-n ns]`: gathers the Certificate and what hangs off it — its issuer,
 * Secret, current CertificateRequest (owned by it, revision annotation), that request's Order and
 * the Order's Challenges, and the Certificate's Kubernetes events — then prints one view
 * (format/status.ts). A part that cannot be read (missing, forbidden) is shown as such; only a
 * missing Certificate fails the command.
 */
import { Buffer } from "node:buffer";
import {
  Annotations,
  CLUSTER_ISSUER_KIND,
  ISSUER_KIND,
  SecretKeys,
  type Certificate,
  type CertificateRequest,
  type Challenge,
  type GenericIssuer,
  type Order,
} from "@certkeeper/api";
import { CoreResources, isNotFound, type KubeClient, type KubeObject, type Secret } from "@certkeeper/kube";
import { parseCertificate } from "@certkeeper/pki";
import type { CommandContext } from "../context.ts";
import { CliError, UsageError } from "../errors.ts";
import { formatCertificateStatus, type KubeEventLike, type StatusInput } from "../format/status.ts";
import { CM, resolveKind } from "../kube.ts";

const ownedBy = (obj: KubeObject, uid: string | undefined) =>
  uid !== undefined && (obj.metadata.ownerReferences ?? []).some((o) => o.uid === uid);

const why = (err: unknown) => (err as Error).message;

async function issuerOf(client: KubeClient, cert: Certificate): Promise<StatusInput["issuer"]> {
  const ref = cert.spec.issuerRef;
  const kind = ref.kind || ISSUER_KIND;
  const issuer: StatusInput["issuer"] = { kind, name: ref.name };
  if (ref.group && ref.group !== CM.issuers.group) {
    return { ...issuer, error: `an external issuer (group ${ref.group}); its status is not read` };
  }
  try {
    issuer.object =
      kind === CLUSTER_ISSUER_KIND
        ? await client.get<GenericIssuer>(CM.clusterIssuers, undefined, ref.name)
        : await client.get<GenericIssuer>(CM.issuers, cert.metadata.namespace, ref.name);
  } catch (err) {
    if (!isNotFound(err)) issuer.error = why(err);
  }
  return issuer;
}

async function secretOf(client: KubeClient, cert: Certificate): Promise<StatusInput["secret"]> {
  const name = cert.spec.secretName;
  try {
    const secret = await client.get<Secret>(CoreResources.secrets, cert.metadata.namespace, name);
    const pem = secret.data?.[SecretKeys.TLSCert];
    if (!pem) return { name, exists: true };
    try {
      return { name, exists: true, cert: parseCertificate(Buffer.from(pem, "base64").toString("utf8")) };
    } catch (err) {
      return { name, exists: true, error: `tls.crt cannot be decoded: ${why(err)}` };
    }
  } catch (err) {
    if (isNotFound(err)) return { name, exists: false };
    return { name, exists: false, error: why(err) };
  }
}

/** The request of the next revision if one is in flight, else the one that issued the current revision. */
export function currentRequest(
  cert: Certificate,
  requests: readonly CertificateRequest[],
): CertificateRequest | undefined {
  const owned = requests.filter((r) => ownedBy(r, cert.metadata.uid));
  const revision = cert.status?.revision ?? 0;
  const at = (rev: number) =>
    owned.find((r) => r.metadata.annotations?.[Annotations.CertificateRevision] === String(rev));
  return at(revision + 1) ?? at(revision);
}

export async function gatherStatus(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<StatusInput> {
  let certificate: Certificate;
  try {
    certificate = await client.get<Certificate>(CM.certificates, namespace, name);
  } catch (err) {
    if (isNotFound(err)) throw new CliError(`Certificate ${namespace}/${name} not found`, { cause: err });
    throw err;
  }
  const [issuer, secret] = await Promise.all([issuerOf(client, certificate), secretOf(client, certificate)]);
  const input: StatusInput = { certificate, issuer, secret, challenges: [], events: [] };

  const tryList = async <T extends KubeObject>(what: Promise<{ items: T[] }>): Promise<T[]> => {
    try {
      return (await what).items;
    } catch {
      return [];
    }
  };
  input.request = currentRequest(
    certificate,
    await tryList(client.listAll<CertificateRequest>(CM.certificateRequests, { namespace })),
  );
  if (input.request) {
    const orders = await tryList(client.listAll<Order>(CM.orders, { namespace }));
    input.order = orders.find((o) => ownedBy(o, input.request!.metadata.uid));
    if (input.order) {
      const challenges = await tryList(client.listAll<Challenge>(CM.challenges, { namespace }));
      input.challenges = challenges.filter((c) => ownedBy(c, input.order!.metadata.uid));
    }
  }
  input.events = (await tryList(
    client.listAll<KubeObject & KubeEventLike>(CoreResources.events, {
      namespace,
      fieldSelector: `involvedObject.uid=${certificate.metadata.uid}`,
    }),
  )) as KubeEventLike[];
  return input;
}

export async function status(ctx: CommandContext): Promise<void> {
  const [what, name, ...rest] = ctx.args.positionals;
  if (!what || resolveKind(what) !== "Certificate" || !name || rest.length > 0) {
    throw new UsageError("usage: status certificate <name> [-n namespace]");
  }
  const { client, namespace } = ctx.kube();
  const input = await gatherStatus(client, namespace, name);
  for (const line of formatCertificateStatus(input, ctx.now())) ctx.out.out(line);
}
