/**
 * certificates-key-manager: owns the next-private-key Secret.
 *
 *   Issuing≠True            ─▶ delete owned next-key Secrets; clear status.nextPrivateKeySecretName
 *   Issuing=True, none      ─▶ create one (rotationPolicy Always: fresh key; Never: reuse the
 *                              current key when it matches spec) under the name the trigger
 *                              recorded with Issuing=True; without one (or when a Secret not
 *                              ours holds that name) under a generated name, recorded in status
 *                              afterwards. Our own Secret under it (a lost response) is kept.
 *   Issuing=True, several   ─▶ delete them all (a fresh one follows)
 *   Issuing=True, one       ─▶ keep it if its name is the recorded one and its key decodes and
 *                              matches spec; otherwise delete it
 */
import { Labels, Resources, type Certificate } from "@certkeeper/api";
import {
  CoreResources,
  isAlreadyExists,
  isInvalid,
  isNotFound,
  TerminalError,
  type Reconcile,
  type Result,
  type Secret,
} from "@certkeeper/kube";
import { encodePrivateKey, generatePrivateKey, keySpecViolations, type PrivateKey } from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import { writeStatus } from "../status.ts";
import { getCertificate, getSecret, isIssuing, isNextKeySecretOf, nextKeySecrets } from "./common.ts";
import { parseSecret } from "./parsed.ts";

export const KEY_MANAGER_CONTROLLER = "certificates-key-manager";

export type KeyDecision =
  | { kind: "none" }
  | { kind: "cleanup"; delete: Secret[]; clearStatus: boolean }
  | { kind: "create"; name?: string }
  | { kind: "record"; name: string }
  | { kind: "delete"; delete: Secret[]; violations?: string[] };

/** Pure: what to do with the next-key Secrets, given the Certificate and the ones that exist. */
export function decideKeys(cert: Certificate, existing: Secret[]): KeyDecision {
  const recorded = cert.status?.nextPrivateKeySecretName;
  if (!isIssuing(cert)) {
    return existing.length > 0 || recorded
      ? { kind: "cleanup", delete: existing, clearStatus: recorded !== undefined }
      : { kind: "none" };
  }
  if (existing.length === 0) return recorded ? { kind: "create", name: recorded } : { kind: "create" };
  if (existing.length > 1) return { kind: "delete", delete: existing };
  const only = existing[0]!;
  const parsed = parseSecret(only);
  if (!parsed.key) return { kind: "delete", delete: [only] };
  const violations = keySpecViolations(parsed.key, cert.spec.privateKey);
  if (violations.length > 0) return { kind: "delete", delete: [only], violations };
  if (!recorded) return { kind: "record", name: only.metadata.name! };
  if (recorded !== only.metadata.name) return { kind: "delete", delete: [only] };
  return { kind: "none" };
}

async function deleteSecrets(deps: Deps, secrets: Secret[]): Promise<void> {
  for (const s of secrets) {
    try {
      await deps.client.delete(CoreResources.secrets, s.metadata.namespace, s.metadata.name!, {
        preconditions: { uid: s.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    deps.caches.secrets.full.forget(s);
  }
}

/** rotationPolicy Never reuses the key of the issued Secret when it still matches spec. */
async function reusableKey(
  deps: Deps,
  cert: Certificate,
): Promise<PrivateKey | { violations: string[] } | undefined> {
  if (cert.spec.privateKey?.rotationPolicy !== "Never") return undefined;
  const secret = await getSecret(deps, cert.metadata.namespace!, cert.spec.secretName);
  const parsed = secret ? parseSecret(secret) : undefined;
  if (parsed?.keyPEM && !parsed.key) {
    deps.recorder.event(
      cert,
      "Warning",
      "DecodeFailed",
      `Failed to decode private key stored in Secret "${cert.spec.secretName}" - generating new key`,
    );
  }
  if (!parsed?.key) return undefined;
  const violations = keySpecViolations(parsed.key, cert.spec.privateKey);
  return violations.length === 0 ? parsed.key : { violations };
}

export function keyManagerReconciler(deps: Deps): Reconcile {
  return async (key): Promise<Result> => {
    const cert = getCertificate(deps, key);
    if (!cert) return;
    const decision = decideKeys(cert, nextKeySecrets(deps, cert));
    switch (decision.kind) {
      case "none":
        return;
      case "cleanup": {
        // Routine clean-up after an issuance: cert-manager records no Event for it.
        await deleteSecrets(deps, decision.delete);
        if (decision.clearStatus) {
          const status = { ...cert.status };
          delete status.nextPrivateKeySecretName;
          await writeStatus(deps.client, deps.caches.certificates, "Certificate", cert, status);
        }
        return;
      }
      case "delete":
        if (decision.violations) {
          deps.recorder.event(
            cert,
            "Normal",
            "Deleted",
            `Regenerating private key due to change in fields: [${decision.violations.join(" ")}]`,
          );
        }
        await deleteSecrets(deps, decision.delete);
        return;
      case "record":
        await writeStatus(deps.client, deps.caches.certificates, "Certificate", cert, {
          ...cert.status,
          nextPrivateKeySecretName: decision.name,
        });
        return;
      case "create": {
        const reuse = await reusableKey(deps, cert);
        if (reuse !== undefined && "violations" in reuse) {
          deps.recorder.event(
            cert,
            "Warning",
            "CannotRegenerateKey",
            `User intervention required: existing private key in Secret "${cert.spec.secretName}" does not match requirements on Certificate resource, mismatching fields: [${reuse.violations.join(" ")}], but cert-manager cannot create new private key as the Certificate's .spec.privateKey.rotationPolicy is unset or set to Never. To allow cert-manager to create a new private key you can set .spec.privateKey.rotationPolicy to 'Always' (this will result in the private key being regenerated every time a cert is renewed) `,
          );
          return;
        }
        let privateKey: PrivateKey;
        try {
          privateKey = reuse ?? (await generatePrivateKey(cert.spec.privateKey));
        } catch (err) {
          // An unsupported algorithm/size (only possible without the webhook): retrying cannot help.
          const why = err instanceof Error ? err.message : String(err);
          deps.recorder.event(
            cert,
            "Warning",
            "InvalidPrivateKeySpec",
            `Cannot generate a private key for spec.privateKey: ${why}`,
          );
          throw new TerminalError(why, { cause: err });
        }
        const secret: Secret = {
          apiVersion: "v1",
          kind: "Secret",
          metadata: {
            ...(decision.name ? { name: decision.name } : { generateName: `${cert.metadata.name}-` }),
            namespace: cert.metadata.namespace,
            labels: { [Labels.NextPrivateKey]: "true", [Labels.ControllerFAO]: "true" },
            ownerReferences: [
              {
                apiVersion: Resources.Certificate.apiVersion,
                kind: "Certificate",
                name: cert.metadata.name!,
                uid: cert.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          data: { "tls.key": Buffer.from(encodePrivateKey(privateKey, "PKCS8")).toString("base64") },
        };
        let created: Secret;
        try {
          created = await deps.client.create<Secret>(CoreResources.secrets, secret);
        } catch (err) {
          if (!decision.name || !(isAlreadyExists(err) || isInvalid(err))) throw err;
          // Ours, created by an earlier attempt whose response was lost (or not cached yet): a
          // second key would only be deleted with it. Cache it; the next reconcile judges it.
          const taken = await deps.client
            .get<Secret>(CoreResources.secrets, cert.metadata.namespace, decision.name)
            .catch(() => undefined);
          if (taken && isNextKeySecretOf(taken, cert)) {
            deps.caches.secrets.full.observe(taken);
            return;
          }
          // Somebody else's Secret (or one not yet gone), or a recorded name the API refuses (set
          // by hand in status): create ours under a generated name.
          const { name: _taken, ...metadata } = secret.metadata;
          created = await deps.client.create<Secret>(CoreResources.secrets, {
            ...secret,
            metadata: { ...metadata, generateName: `${cert.metadata.name}-` },
          });
        }
        deps.caches.secrets.full.observe(created);
        const written =
          created.metadata.name === cert.status?.nextPrivateKeySecretName
            ? cert
            : await writeStatus(deps.client, deps.caches.certificates, "Certificate", cert, {
                ...cert.status,
                nextPrivateKeySecretName: created.metadata.name,
              });
        deps.recorder.event(
          written,
          "Normal",
          reuse ? "Reused" : "Generated",
          reuse
            ? `Reusing private key stored in existing Secret resource "${cert.spec.secretName}"`
            : `Stored new private key in temporary Secret resource "${created.metadata.name}"`,
        );
        deps.lifecycle.publish("certificate", "key-generated", written, {
          secretName: created.metadata.name,
          algorithm: cert.spec.privateKey?.algorithm ?? "RSA",
          reused: reuse !== undefined,
        });
        return;
      }
    }
  };
}
