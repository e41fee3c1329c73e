/** Issuer and ClusterIssuer validation (ValidateIssuerConfig): exactly one issuer type, each checked. */
import type {
  CAIssuer,
  ClusterIssuer,
  Issuer,
  IssuerSpec,
  VaultAuth,
  VaultIssuer,
  VenafiIssuer,
} from "@certkeeper/api";
import { caBundleError, validateACMEIssuer } from "./acme-issuer.ts";
import {
  child,
  forbidden,
  index,
  invalid,
  required,
  type FieldError,
  type ValidationResult,
} from "./field.ts";

const containsDotDot = (p: string | undefined): boolean => (p ?? "").split("/").includes("..");

function validateCA(ca: CAIssuer, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!ca.secretName) errs.push(required(child(p, "secretName")));
  (ca.ocspServers ?? []).forEach((u, i) => {
    if (u === "")
      errs.push(
        invalid(
          index(child(p, "ocspServer"), i),
          u,
          "must be a valid URL, e.g., http://ocsp.int-x3.letsencrypt.org",
        ),
      );
  });
  (ca.issuingCertificateURLs ?? []).forEach((u, i) => {
    if (u === "") errs.push(invalid(index(child(p, "issuingCertificateURLs"), i), u, "must be a valid URL"));
  });
  return errs;
}

function validateVaultAuth(auth: VaultAuth | undefined, p: string): FieldError[] {
  const errs: FieldError[] = [];
  let methods = 0;
  if (auth?.tokenSecretRef) methods++;
  if (auth?.appRole) {
    methods++;
    if (!auth.appRole.roleId) errs.push(required(child(p, "appRole", "roleId")));
    if (!auth.appRole.secretRef?.name) errs.push(required(child(p, "appRole", "secretRef", "name")));
    if (containsDotDot(auth.appRole.path)) {
      errs.push(
        invalid(child(p, "appRole", "path"), auth.appRole.path, "must not contain '..' path segments"),
      );
    }
  }
  if (auth?.clientCertificate) {
    methods++;
    if (containsDotDot(auth.clientCertificate.mountPath)) {
      errs.push(
        invalid(
          child(p, "clientCertificate", "path"),
          auth.clientCertificate.mountPath ?? "",
          "must not contain '..' path segments",
        ),
      );
    }
  }
  if (auth?.kubernetes) {
    methods++;
    const k = auth.kubernetes;
    const kp = child(p, "kubernetes");
    if (!k.role) errs.push(required(child(kp, "role")));
    if (containsDotDot(k.mountPath))
      errs.push(invalid(child(kp, "path"), k.mountPath ?? "", "must not contain '..' path segments"));
    let sources = 0;
    if (k.secretRef?.name) sources++;
    if (k.serviceAccountRef) {
      sources++;
      if (!k.serviceAccountRef.name) errs.push(required(child(kp, "serviceAccountRef", "name")));
    }
    if (sources === 0) errs.push(required(kp, "please supply one of: secretRef, serviceAccountRef"));
    if (sources > 1) errs.push(forbidden(kp, "please supply one of: secretRef, serviceAccountRef"));
  }
  if (auth?.aws) {
    methods++;
    const a = auth.aws;
    if (!a.role) errs.push(required(child(p, "aws", "role")));
    if (containsDotDot(a.mountPath))
      errs.push(
        invalid(child(p, "aws", "mountPath"), a.mountPath ?? "", "must not contain '..' path segments"),
      );
    if (a.serviceAccountRef) {
      if (!a.serviceAccountRef.name) errs.push(required(child(p, "aws", "serviceAccountRef", "name")));
      if (!a.iamRoleArn)
        errs.push(
          required(
            child(p, "aws", "iamRoleArn"),
            "iamRoleArn is required when using serviceAccountRef for IRSA",
          ),
        );
    }
  }
  if (methods === 0)
    errs.push(
      required(p, "please supply one of: appRole, kubernetes, tokenSecretRef, clientCertificate, aws"),
    );
  return errs;
}

function validateVault(v: VaultIssuer, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!v.server) errs.push(required(child(p, "server")));
  if (!v.path) errs.push(required(child(p, "path")));
  else if (containsDotDot(v.path))
    errs.push(invalid(child(p, "path"), v.path, "must not contain '..' path segments"));
  if (v.caBundle) {
    const msg = caBundleError(v.caBundle);
    if (msg) errs.push(invalid(child(p, "caBundle"), "<snip>", msg));
  }
  if (v.caBundle && v.caBundleSecretRef) {
    errs.push(
      invalid(
        child(p, "caBundle"),
        "<snip>",
        "specified caBundle and caBundleSecretRef cannot be used together",
      ),
    );
    errs.push(
      invalid(
        child(p, "caBundleSecretRef"),
        v.caBundleSecretRef.name,
        "specified caBundleSecretRef and caBundle cannot be used together",
      ),
    );
  }
  if (v.clientCertSecretRef && !v.clientKeySecretRef) {
    errs.push(
      invalid(
        child(p, "clientKeySecretRef"),
        "<snip>",
        "clientKeySecretRef must be provided when defining the clientCertSecretRef",
      ),
    );
  } else if (!v.clientCertSecretRef && v.clientKeySecretRef) {
    errs.push(
      invalid(
        child(p, "clientCertSecretRef"),
        "<snip>",
        "clientCertSecretRef must be provided when defining the clientKeySecretRef",
      ),
    );
  }
  errs.push(...validateVaultAuth(v.auth, child(p, "auth")));
  return errs;
}

function validateVenafi(v: VenafiIssuer, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!v.zone) errs.push(required(child(p, "zone")));
  let n = 0;
  if (v.tpp) {
    n++;
    if (!v.tpp.url) errs.push(required(child(p, "tpp", "url")));
    if (v.tpp.caBundle && v.tpp.caBundleSecretRef) {
      errs.push(
        forbidden(
          child(p, "tpp"),
          "may not specify more than one of caBundle/caBundleSecretRef as TPP CA Bundle",
        ),
      );
    }
  }
  if (v.cloud) n++;
  if (v.ngts) {
    n++;
    if (!v.ngts.tsgID) errs.push(required(child(p, "ngts", "tsgID")));
    if (!v.ngts.credentialsRef?.name) errs.push(required(child(p, "ngts", "credentialsRef", "name")));
  }
  if (n === 0) errs.push(required(p, "please supply one of: tpp, cloud, ngts"));
  if (n > 1) errs.push(forbidden(p, "please supply one of: tpp, cloud, ngts"));
  return errs;
}

/** Exactly one of acme, ca, selfSigned, vault, venafi (checked in that order, as cert-manager). */
export function validateIssuerSpec(spec: IssuerSpec, p = "spec"): ValidationResult {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  let configured = 0;
  const one = (name: string, present: boolean, check: () => void): void => {
    if (!present) return;
    if (configured > 0) {
      errors.push(forbidden(child(p, name), "may not specify more than one issuer type"));
      return;
    }
    configured++;
    check();
  };
  one("acme", !!spec.acme, () => {
    const r = validateACMEIssuer(spec.acme!, child(p, "acme"));
    errors.push(...r.errors);
    warnings.push(...r.warnings);
  });
  one("ca", !!spec.ca, () => errors.push(...validateCA(spec.ca!, child(p, "ca"))));
  one("selfSigned", !!spec.selfSigned, () => undefined);
  one("vault", !!spec.vault, () => errors.push(...validateVault(spec.vault!, child(p, "vault"))));
  one("venafi", !!spec.venafi, () => errors.push(...validateVenafi(spec.venafi!, child(p, "venafi"))));
  if (configured === 0) errors.push(required(p, "at least one issuer must be configured"));
  return { errors, warnings };
}

export function validateIssuer(
  obj: Issuer | ClusterIssuer,
  _oldObj?: Issuer | ClusterIssuer,
): ValidationResult {
  return validateIssuerSpec(obj.spec ?? {});
}

export const validateClusterIssuer = validateIssuer;
