/** ACME issuer configuration and its challenge solvers (ValidateACMEIssuerConfig and friends). */
import type {
  ACMEChallengeSolver,
  ACMEChallengeSolverDNS01,
  ACMEChallengeSolverHTTP01,
  ACMEIssuer,
  SecretKeySelector,
} from "@certkeeper/api";
import { parseGoDurationNanos } from "@certkeeper/api";
import { parseCertificate } from "@certkeeper/pki";
import { child, forbidden, index, invalid, notSupported, required, type FieldError } from "./field.ts";
import { isDNS1123Subdomain } from "./meta.ts";

export const DEPRECATED_EAB_KEY_ALGORITHM_WARNING =
  "ACME issuer spec field 'externalAccount.keyAlgorithm' is deprecated. The value of this field will be ignored.";

const TSIG_ALGORITHMS = ["HMACMD5", "HMACSHA1", "HMACSHA256", "HMACSHA512"];
const AZURE_ENVIRONMENTS = [
  "AzurePublicCloud",
  "AzureChinaCloud",
  "AzureGermanCloud",
  "AzureUSGovernmentCloud",
];

/** Both name and key of a Secret reference are required. */
export function validateSecretKeySelector(
  sks: Partial<SecretKeySelector> | undefined,
  p: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!sks?.name) errs.push(required(child(p, "name"), "secret name is required"));
  if (!sks?.key) errs.push(required(child(p, "key"), "secret key is required"));
  return errs;
}

/** A soft check, as Go's CertPool.AppendCertsFromPEM: at least one certificate must parse. */
export function caBundleError(base64: string): string | undefined {
  const text = Buffer.from(base64, "base64").toString("latin1");
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  for (const b of blocks) {
    try {
      parseCertificate(b);
      return undefined;
    } catch {
      // try the next block
    }
  }
  return "cert bundle didn't contain any valid certificates";
}

/** Go's net.SplitHostPort, enough to reproduce cert-manager's ValidNameserver. */
export function nameserverError(raw: string): string | undefined {
  const ns = raw.trim();
  if (ns === "") return "RFC2136 nameserver missing";
  let host: string;
  let port = "";
  let missingPort = false;
  if (ns.startsWith("[")) {
    const end = ns.indexOf("]");
    if (end < 0) return "RFC2136 nameserver is invalid: missing ']' in address";
    if (end + 1 === ns.length) missingPort = true;
    else if (ns[end + 1] !== ":") return "RFC2136 nameserver is invalid: missing port in address";
    host = ns.slice(1, end);
    port = ns.slice(end + 2);
  } else {
    const i = ns.lastIndexOf(":");
    if (i < 0) missingPort = true;
    host = ns.slice(0, i);
    port = ns.slice(i + 1);
    if (!missingPort && host.includes(":"))
      return "RFC2136 nameserver is invalid: too many colons in address";
  }
  if (missingPort) {
    host = ns.replace(/^\[+|\]+$/g, "");
    port = "";
  }
  if (host === "") return `RFC2136 nameserver has no host defined, ${ns}`;
  if (port !== "") {
    if (!/^[0-9]+$/.test(port) || Number(port) > 65535)
      return "RFC2136 nameserver port is invalid: invalid syntax";
    if (Number(port) === 0) return "RFC2136 nameserver port is invalid: must be greater than 0";
  }
  return undefined;
}

function validateHTTP01(h: ACMEChallengeSolverHTTP01, p: string): FieldError[] {
  const errs: FieldError[] = [];
  let defined = 0;
  const serviceTypeError = (t: string | undefined, path: string): void => {
    if (t && t !== "ClusterIP" && t !== "NodePort") {
      errs.push(invalid(child(path, "serviceType"), t, `must be empty, "ClusterIP" or "NodePort"`));
    }
  };
  if (h.ingress) {
    defined++;
    const ip = child(p, "ingress");
    const set = [h.ingress.class !== undefined, h.ingress.ingressClassName !== undefined, !!h.ingress.name];
    if (set.filter(Boolean).length > 1) {
      errs.push(forbidden(ip, "only one of 'ingressClassName', 'name' or 'class' should be specified"));
    }
    if (h.ingress.ingressClassName !== undefined) {
      const msgs = isDNS1123Subdomain(h.ingress.ingressClassName);
      if (msgs.length > 0) {
        errs.push(
          invalid(
            child(ip, "ingressClassName"),
            h.ingress.ingressClassName,
            `must be a valid IngressClass name: ${msgs.join(", ")}`,
          ),
        );
      }
    }
    serviceTypeError(h.ingress.serviceType, ip);
  }
  if (h.gatewayHTTPRoute) {
    defined++;
    const gp = child(p, "gateway");
    serviceTypeError(h.gatewayHTTPRoute.serviceType, gp);
    for (const [i, ref] of (h.gatewayHTTPRoute.parentRefs ?? []).entries()) {
      const r = ref as { kind?: string; name?: string };
      if (r.kind !== undefined && !r.name) {
        errs.push(
          required(
            child(index(child(gp, "parentRefs"), i), "name"),
            "name is required when kind is specified",
          ),
        );
        break;
      }
      if (r.name && r.kind === undefined) {
        errs.push(
          required(
            child(index(child(gp, "parentRefs"), i), "kind"),
            "kind is required when name is specified",
          ),
        );
        break;
      }
    }
  }
  if (defined === 0) errs.push(required(p, "no HTTP01 solver type configured"));
  if (defined > 1) errs.push(required(p, "only 1 HTTP01 solver type may be configured"));
  return errs;
}

/** Exactly one DNS provider per dns01 solver, with each provider's required fields. */
export function validateDNS01(d: ACMEChallengeSolverDNS01, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (d.cnameStrategy && d.cnameStrategy !== "None" && d.cnameStrategy !== "Follow") {
    errs.push(invalid(child(p, "cnameStrategy"), d.cnameStrategy, `must be one of "None" or "Follow"`));
  }
  let providers = 0;
  /** Counts a provider; false (with an error) when another was already configured. */
  const first = (name: string): boolean => {
    if (providers > 0) {
      errs.push(forbidden(child(p, name), "may not specify more than one provider type"));
      return false;
    }
    providers++;
    return true;
  };
  if (d.akamai) {
    providers++;
    errs.push(...validateSecretKeySelector(d.akamai.accessTokenSecretRef, child(p, "akamai", "accessToken")));
    errs.push(
      ...validateSecretKeySelector(d.akamai.clientSecretSecretRef, child(p, "akamai", "clientSecret")),
    );
    errs.push(...validateSecretKeySelector(d.akamai.clientTokenSecretRef, child(p, "akamai", "clientToken")));
    if (!d.akamai.serviceConsumerDomain) errs.push(required(child(p, "akamai", "serviceConsumerDomain")));
  }
  if (d.azureDNS && first("azureDNS")) {
    const a = d.azureDNS;
    const ap = child(p, "azureDNS");
    if (a.clientID || a.tenantID || a.clientSecretSecretRef) {
      if (!a.clientID) errs.push(required(child(ap, "clientID")));
      if (!a.clientSecretSecretRef) errs.push(required(child(ap, "clientSecretSecretRef")));
      else
        errs.push(...validateSecretKeySelector(a.clientSecretSecretRef, child(ap, "clientSecretSecretRef")));
      if (!a.tenantID) errs.push(required(child(ap, "tenantID")));
      if (a.managedIdentity) {
        errs.push(
          forbidden(
            child(ap, "managedIdentity"),
            "managed identity cannot be used at the same time as clientID, clientSecretSecretRef or tenantID",
          ),
        );
      }
    } else if (a.managedIdentity) {
      const m = a.managedIdentity;
      if (m.clientID && m.resourceID) {
        errs.push(
          forbidden(
            child(ap, "managedIdentity"),
            "managedIdentityClientID and managedIdentityResourceID cannot both be specified",
          ),
        );
      }
      if (m.tenantID && m.resourceID) {
        errs.push(
          forbidden(
            child(ap, "managedIdentity"),
            "managedIdentityTenantID and managedIdentityResourceID cannot both be specified",
          ),
        );
      }
      if (m.tenantID && !m.clientID) {
        errs.push(
          required(
            child(ap, "managedIdentity"),
            "managedIdentityClientID is required when using managedIdentityTenantID",
          ),
        );
      }
    }
    if (!a.subscriptionID) errs.push(required(child(ap, "subscriptionID")));
    if (!a.resourceGroupName) errs.push(required(child(ap, "resourceGroupName")));
    if (a.environment && !AZURE_ENVIRONMENTS.includes(a.environment)) {
      errs.push(
        invalid(
          child(ap, "environment"),
          a.environment,
          `must be either empty or one of ${AZURE_ENVIRONMENTS.slice(0, 3).join(", ")}, or ${AZURE_ENVIRONMENTS[3]}`,
        ),
      );
    }
  }
  if (d.cloudDNS && first("cloudDNS")) {
    if (d.cloudDNS.serviceAccountSecretRef) {
      errs.push(
        ...validateSecretKeySelector(
          d.cloudDNS.serviceAccountSecretRef,
          child(p, "cloudDNS", "serviceAccountSecretRef"),
        ),
      );
    }
    if (!d.cloudDNS.project) errs.push(required(child(p, "cloudDNS", "project")));
  }
  if (d.cloudflare && first("cloudflare")) {
    const c = d.cloudflare;
    const cp = child(p, "cloudflare");
    if (c.apiKeySecretRef)
      errs.push(...validateSecretKeySelector(c.apiKeySecretRef, child(cp, "apiKeySecretRef")));
    if (c.apiTokenSecretRef)
      errs.push(...validateSecretKeySelector(c.apiTokenSecretRef, child(cp, "apiTokenSecretRef")));
    if (c.apiKeySecretRef && c.apiTokenSecretRef)
      errs.push(forbidden(cp, "apiKeySecretRef and apiTokenSecretRef cannot both be specified"));
    if (!c.apiKeySecretRef && !c.apiTokenSecretRef)
      errs.push(required(cp, "apiKeySecretRef or apiTokenSecretRef is required"));
    if (!c.email && c.apiKeySecretRef) errs.push(required(child(cp, "email")));
  }
  if (d.route53 && first("route53")) {
    const r = d.route53;
    if (r.accessKeyID && r.accessKeyIDSecretRef) {
      errs.push(
        required(child(p, "route53"), "accessKeyID and accessKeyIDSecretRef cannot both be specified"),
      );
    }
    if (r.accessKeyIDSecretRef)
      errs.push(
        ...validateSecretKeySelector(r.accessKeyIDSecretRef, child(p, "route53", "accessKeyIDSecretRef")),
      );
  }
  // cert-manager counts acmeDNS without the exclusivity check; certkeeper enforces one provider.
  if (d.acmeDNS && first("acmeDNS")) {
    errs.push(
      ...validateSecretKeySelector(d.acmeDNS.accountSecretRef, child(p, "acmeDNS", "accountSecretRef")),
    );
    if (!d.acmeDNS.host) errs.push(required(child(p, "acmeDNS", "host")));
  }
  if (d.digitalocean && first("digitalocean")) {
    errs.push(
      ...validateSecretKeySelector(d.digitalocean.tokenSecretRef, child(p, "digitalocean", "tokenSecretRef")),
    );
  }
  if (d.rfc2136 && first("rfc2136")) {
    const r = d.rfc2136;
    const rp = child(p, "rfc2136");
    if (!r.nameserver) errs.push(required(child(rp, "nameserver")));
    else if (nameserverError(r.nameserver)) {
      errs.push(
        invalid(
          child(rp, "nameserver"),
          r.nameserver,
          "nameserver must be set in the form host:port where host is an IPv4 address, an enclosed IPv6 address or a hostname and port is an optional port number.",
        ),
      );
    }
    if (r.tsigAlgorithm && !TSIG_ALGORITHMS.includes(r.tsigAlgorithm.toUpperCase())) {
      errs.push(notSupported(child(rp, "tsigAlgorithm"), "", TSIG_ALGORITHMS));
    }
    const secretErrs = validateSecretKeySelector(r.tsigSecretSecretRef, child(rp, "tsigSecretSecretRef"));
    if (r.tsigKeyName) errs.push(...secretErrs);
    if (secretErrs.length === 0 && !r.tsigKeyName) errs.push(required(child(rp, "tsigKeyName")));
  }
  if (d.webhook && first("webhook")) {
    if (!d.webhook.solverName)
      errs.push(required(child(p, "webhook", "solverName"), "solver name must be specified"));
  }
  if (providers === 0) errs.push(required(p, "no DNS01 provider configured"));
  return errs;
}

function validateSolver(sol: ACMEChallengeSolver, p: string): FieldError[] {
  const errs: FieldError[] = [];
  let types = 0;
  if (sol.http01) {
    types++;
    errs.push(...validateHTTP01(sol.http01, child(p, "http01")));
  }
  if (sol.dns01) {
    if (types > 0) errs.push(forbidden(p, "may not specify more than one solver type in a single solver"));
    else {
      types++;
      errs.push(...validateDNS01(sol.dns01, child(p, "dns01")));
    }
  }
  if (types === 0) errs.push(required(p, "no solver type configured"));
  if (sol.waitInsteadOfSelfCheck !== undefined) {
    let negative = false;
    try {
      negative = parseGoDurationNanos(sol.waitInsteadOfSelfCheck) < 0n;
    } catch {
      negative = false;
    }
    if (negative) {
      errs.push(
        invalid(
          child(p, "waitInsteadOfSelfCheck"),
          sol.waitInsteadOfSelfCheck,
          "waitInsteadOfSelfCheck must not be negative",
        ),
      );
    }
  }
  return errs;
}

export function validateACMEIssuer(
  acme: ACMEIssuer,
  p: string,
): { errors: FieldError[]; warnings: string[] } {
  const errs: FieldError[] = [];
  const warnings: string[] = [];
  if (acme.caBundle && acme.skipTLSVerify) {
    const msg = "caBundle and skipTLSVerify are mutually exclusive and cannot both be set";
    errs.push(invalid(child(p, "caBundle"), "", msg));
    errs.push(invalid(child(p, "skipTLSVerify"), acme.skipTLSVerify, msg));
  }
  if (acme.caBundle) {
    const msg = caBundleError(acme.caBundle);
    if (msg) errs.push(invalid(child(p, "caBundle"), "", msg));
  }
  if (!acme.privateKeySecretRef?.name) {
    errs.push(
      required(child(p, "privateKeySecretRef", "name"), "private key secret name is a required field"),
    );
  }
  if (!acme.server) errs.push(required(child(p, "server"), "acme server URL is a required field"));
  const eab = acme.externalAccountBinding;
  if (eab) {
    const ep = child(p, "externalAccountBinding");
    if (!eab.keyID)
      errs.push(
        required(child(ep, "keyID"), "the keyID field is required when using externalAccountBinding"),
      );
    errs.push(...validateSecretKeySelector(eab.keySecretRef, child(ep, "keySecretRef")));
    if (eab.keyAlgorithm) warnings.push(DEPRECATED_EAB_KEY_ALGORITHM_WARNING);
  }
  (acme.solvers ?? []).forEach((s, i) => errs.push(...validateSolver(s, index(child(p, "solvers"), i))));
  return { errors: errs, warnings };
}
