/** Certificate output rules: Secret template, keystores and renewal windows. */
import { Annotations, cronError, isValidTimeZone, type CertificateSpec } from "@certkeeper/api";
import { child, forbidden, index, invalid, notSupported, required, type FieldError } from "./field.ts";
import { validateAnnotations, validateLabels } from "./meta.ts";

export function validateSecretTemplate(spec: CertificateSpec, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const t = spec.secretTemplate;
  if (!t) return errs;
  if (t.labels && Object.keys(t.labels).length > 0)
    errs.push(...validateLabels(t.labels, child(p, "secretTemplate", "labels")));
  if (t.annotations && Object.keys(t.annotations).length > 0) {
    const path = child(p, "secretTemplate", "annotations");
    for (const a of Object.keys(t.annotations).sort()) {
      if (a.startsWith("cert-manager.io/") && a !== Annotations.AllowDirectInjection) {
        errs.push(invalid(path, a, "cert-manager.io/* annotations are not allowed"));
      }
    }
    errs.push(...validateAnnotations(t.annotations, path));
  }
  return errs;
}
export function validateKeystores(spec: CertificateSpec, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const stores: [string, string, { password?: string; passwordSecretRef?: { name?: string } } | undefined][] =
    [
      ["jks", "JKS", spec.keystores?.jks],
      ["pkcs12", "PKCS#12", spec.keystores?.pkcs12],
    ];
  for (const [field, label, ks] of stores) {
    if (!ks) continue;
    const path = child(p, "keystores", field);
    const hasLiteral = ks.password !== undefined;
    const hasRef = (ks.passwordSecretRef?.name ?? "") !== "";
    if (hasLiteral && hasRef) {
      errs.push(
        forbidden(
          path,
          `exactly one of passwordSecretRef and password must be provided for ${label} keystores; cannot set both`,
        ),
      );
    }
    if (!hasLiteral && !hasRef) {
      errs.push(
        forbidden(path, `must set exactly one of passwordSecretRef and password must for ${label} keystores`),
      );
    }
    if (hasLiteral && ks.password === "") {
      errs.push(
        forbidden(child(path, "password"), `literal password cannot be empty if set on ${label} keystores`),
      );
    }
  }
  return errs;
}
export function validateRenewal(spec: CertificateSpec, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = spec.renewal;
  if (!r) return errs;
  const policy = r.policy ?? "RenewBefore";
  if (policy === "Disabled") {
    if ((r.windows?.length ?? 0) > 0) {
      errs.push(
        forbidden(
          child(p, "renewal", "windows"),
          "windows cannot be set when `renewal.policy` is set to Disabled",
        ),
      );
    }
    return errs;
  }
  if (policy !== "RenewBefore") {
    errs.push(
      notSupported(child(p, "renewal", "policy"), `unsupported field ${String(policy)}`, [
        "Disabled",
        "RenewBefore",
      ]),
    );
  }
  (r.windows ?? []).forEach((w, i) => {
    const path = index(child(p, "renewal", "windows"), i);
    if (!w.windowDuration) {
      errs.push(
        required(
          child(path, "windowDuration"),
          "windowDuration must be specified and should be greater than 0",
        ),
      );
    }
    if (w.timezone && !isValidTimeZone(w.timezone)) {
      errs.push(
        invalid(
          child(path, "timezone"),
          w.timezone,
          "invalid value for timezone. timezone must be IANA compliant",
        ),
      );
    }
    const cronErr = cronError(w.cron ?? "");
    if (cronErr) {
      errs.push(
        invalid(
          child(path, "cron"),
          w.cron ?? "",
          `invalid cron syntax: ${cronErr}. cron needs to follow: cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow`,
        ),
      );
    }
  });
  return errs;
}
