/**
 * When a certificate should be renewed (cert-manager's pki.RenewalTime):
 *   renewBefore set            → notAfter - renewBefore
 *   renewBeforePercentage set  → notAfter - lifetime * pct / 100
 *   neither                    → notAfter - lifetime / 3   (i.e. at 2/3 of the actual lifetime)
 * A renewBefore not shorter than the actual lifetime falls back to lifetime / 3.
 * The result is truncated to whole seconds, as status.renewalTime is.
 * `renewal.policy: Disabled` means no renewal time at all.
 */
import { parseGoDuration, type CertificateSpec } from "@certkeeper/api";

export function renewalTime(
  notBefore: Date,
  notAfter: Date,
  spec: Pick<CertificateSpec, "renewBefore" | "renewBeforePercentage" | "renewal">,
): Date | undefined {
  if (spec.renewal?.policy === "Disabled") return undefined;
  const lifetime = notAfter.getTime() - notBefore.getTime();
  let before: number;
  if (spec.renewBefore) {
    before = parseGoDuration(spec.renewBefore);
  } else if (spec.renewBeforePercentage !== undefined && spec.renewBeforePercentage !== null) {
    before = Math.floor((lifetime * spec.renewBeforePercentage) / 100);
  } else {
    before = Math.floor(lifetime / 3);
  }
  if (before >= lifetime) before = Math.floor(lifetime / 3);
  const at = notAfter.getTime() - before;
  return new Date(Math.floor(at / 1000) * 1000);
}

/** Kubernetes metav1.Time wire form (seconds precision, UTC). */
export function formatTime(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
