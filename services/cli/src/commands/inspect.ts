/**
 * `inspect secret <name>`: the decoded certificates of a TLS Secret (tls.crt chain, ca.crt) and
 * whether tls.key belongs to the leaf. The private key is read locally to compare public keys and
 * is never printed.
 */
import { Buffer } from "node:buffer";
import { SecretKeys } from "@certkeeper/api";
import { CoreResources, type Secret } from "@certkeeper/kube";
import {
  keyMatchesCertificate,
  parseCertificate,
  parsePrivateKey,
  splitPEMBundle,
  type ParsedCertificate,
} from "@certkeeper/pki";
import type { CommandContext } from "../context.ts";
import { CliError, UsageError } from "../errors.ts";
import { formatSecretInspection, type SecretInspection } from "../format/certificate.ts";

const decode = (b64: string | undefined) =>
  b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("utf8");

function parseBundle(pem: string | undefined): ParsedCertificate[] {
  if (!pem || pem.trim() === "") return [];
  return splitPEMBundle(pem).map((block) => parseCertificate(block));
}

/** Everything `inspect secret` shows, from a Secret object. Pure (no I/O). */
export function inspectSecret(secret: Secret): SecretInspection {
  const data = secret.data ?? {};
  const result: SecretInspection = {
    namespace: secret.metadata.namespace ?? "",
    name: secret.metadata.name ?? "",
    type: secret.type,
    keys: Object.keys(data).sort(),
    annotations: secret.metadata.annotations ?? {},
    chain: [],
    ca: [],
  };
  try {
    result.chain = parseBundle(decode(data[SecretKeys.TLSCert]));
    result.ca = parseBundle(decode(data[SecretKeys.CACert]));
  } catch (err) {
    result.certError = (err as Error).message;
  }
  const keyPEM = decode(data[SecretKeys.TLSKey]);
  if (keyPEM && keyPEM.trim() !== "" && result.chain[0]) {
    try {
      result.keyMatches = keyMatchesCertificate(parsePrivateKey(keyPEM), result.chain[0]);
    } catch (err) {
      result.keyError = (err as Error).message;
    }
  }
  return result;
}

export async function inspect(ctx: CommandContext): Promise<void> {
  const [what, name, ...rest] = ctx.args.positionals;
  if (what !== "secret" || !name || rest.length > 0)
    throw new UsageError("usage: inspect secret <name> [-n namespace]");
  const { client, namespace } = ctx.kube();
  const secret = await client.get<Secret>(CoreResources.secrets, namespace, name);
  const inspection = inspectSecret(secret);
  for (const line of formatSecretInspection(inspection, ctx.now())) ctx.out.out(line);
  // Like cmctl: the details are printed, but a Secret that does not decode is a failure.
  if (inspection.certError || inspection.keyError) {
    throw new CliError(`Secret ${namespace}/${name} does not hold a decodable certificate and key`);
  }
}
