import { createHash, randomBytes, type KeyObject } from "node:crypto";
import { parseCertificate, rememberSignedBy, type ParsedCertificate } from "./certificate.ts";
import { parseCSR, type ParsedCSR } from "./csr.ts";
import * as der from "./der.ts";
import { CSRError, SigningError } from "./errors.ts";
import { encodeBasicConstraints, encodeExtension, EXT } from "./extensions.ts";
import {
  assertKeyMatches,
  parsePrivateKey,
  signatureAlgorithmFor,
  signatureAlgorithmIdentifier,
  signsForOwnPublicKey,
  signWith,
} from "./keys.ts";
import { isEmptyName } from "./names.ts";
import { encodePEM } from "./pem.ts";
import { DEFAULT_DURATION_MS } from "./spec.ts";
import { encodeExtKeyUsage, encodeKeyUsage, keyUsageNames, keyUsagesFor } from "./usages.ts";

export interface SignCertificateOptions {
  /** The request, as PEM or already parsed. Its signature must verify. */
  readonly csr: string | ParsedCSR;
  /** Issuing CA certificate (PEM or parsed); absent ⇒ self-signed with the request's own key. */
  readonly issuerCert?: string | ParsedCertificate | undefined;
  /** Key of the issuer (PEM or KeyObject); for self-signed, the key of the request. */
  readonly issuerKey: KeyObject | string;
  /** Lifetime in ms; default 90 days. */
  readonly duration?: number | undefined;
  readonly isCA?: boolean | undefined;
  /** cert-manager usage strings; empty ⇒ digital signature + key encipherment. */
  readonly usages?: readonly string[] | undefined;
  /** Default: now. */
  readonly notBefore?: Date | undefined;
  /** Default: 128 random bits. */
  readonly serialNumber?: bigint | undefined;
  readonly crlDistributionPoints?: readonly string[] | undefined;
  readonly ocspServers?: readonly string[] | undefined;
  readonly issuingCertificateURLs?: readonly string[] | undefined;
  /**
   * Cap notAfter at the issuer's notAfter. Default false: cert-manager's CA issuer does not cap
   * (documented: "CA issuers will issue leaf certificates which outlive the CA").
   */
  readonly capNotAfterToIssuer?: boolean | undefined;
}

const uri = (u: string): Buffer => der.implicitPrimitive(6, Buffer.from(u, "latin1"));

/** RFC 7093 method 1 (as Go ≥1.25): leftmost 160 bits of SHA-256 over the subjectPublicKey bits. */
export function subjectKeyIdentifier(spki: Buffer): Buffer {
  const [, bits] = der.children(der.readAll(spki));
  return createHash("sha256").update(der.readBitString(bits!).bytes).digest().subarray(0, 20);
}

function randomSerial(): bigint {
  for (;;) {
    const n = BigInt(`0x${randomBytes(16).toString("hex")}`);
    if (n !== 0n) return n;
  }
}

/**
 * Refuses a CSR whose own BasicConstraints / KeyUsage / ExtKeyUsage disagree with the request's
 * isCA / usages, like cert-manager's CertificateTemplateValidateAndOverride* mutators.
 */
function checkRequestAgainstCSR(
  csr: ParsedCSR,
  isCA: boolean,
  keyUsage: number,
  ekus: readonly string[],
): void {
  if (csr.basicConstraints && csr.basicConstraints.isCA !== isCA) {
    throw new CSRError(
      `encoded CSR error: IsCA ${csr.basicConstraints.isCA} does not match expected value ${isCA}`,
    );
  }
  if (!csr.hasKeyUsage && !csr.hasExtKeyUsage) return;
  if (csr.keyUsageMask !== keyUsage) {
    throw new CSRError(
      `encoded CSR error: the KeyUsages [${keyUsageNames(csr.keyUsageMask).join(", ")}] do not match the expected KeyUsages [${keyUsageNames(keyUsage).join(", ")}]`,
    );
  }
  if (csr.extKeyUsageOIDs.join(",") !== ekus.join(",")) {
    throw new CSRError(
      `encoded CSR error: the ExtKeyUsages [${csr.extKeyUsageOIDs.join(", ")}] do not match the expected ExtKeyUsages [${ekus.join(", ")}]`,
    );
  }
}

/**
 * Issues a certificate for a CSR following cert-manager's template: subject, SANs, public key and
 * NameConstraints from the CSR; KeyUsage/ExtKeyUsage/BasicConstraints from the request;
 * SubjectKeyIdentifier on CA certificates, AuthorityKeyIdentifier from the issuer; the signature
 * algorithm follows the issuer's key. Extensions appear in the order Go's x509 writes them.
 */
export function signCertificate(opts: SignCertificateOptions): string {
  const csr = typeof opts.csr === "string" ? parseCSR(opts.csr) : opts.csr;
  if (!csr.signatureValid) throw new CSRError("certificate request signature is invalid");
  const issuer = typeof opts.issuerCert === "string" ? parseCertificate(opts.issuerCert) : opts.issuerCert;
  const issuerKey = typeof opts.issuerKey === "string" ? parsePrivateKey(opts.issuerKey) : opts.issuerKey;
  assertKeyMatches(
    issuerKey,
    issuer ? issuer.publicKey : csr.publicKey,
    issuer ? "issuer certificate" : "CSR",
  );

  const isCA = opts.isCA ?? false;
  const { keyUsage, extKeyUsages } = keyUsagesFor(opts.usages, isCA);
  checkRequestAgainstCSR(csr, isCA, keyUsage, extKeyUsages);

  const notBefore = new Date(Math.floor((opts.notBefore ?? new Date()).getTime() / 1000) * 1000);
  let notAfter = new Date(notBefore.getTime() + (opts.duration ?? DEFAULT_DURATION_MS));
  if (issuer && opts.capNotAfterToIssuer && issuer.notAfter < notAfter) notAfter = issuer.notAfter;
  if (notAfter <= notBefore)
    throw new SigningError("certificate would not be valid: notAfter is not after notBefore");

  const subject = csr.subject.der;
  const issuerName = issuer ? issuer.subject.der : subject;
  const exts: Buffer[] = [];
  if (keyUsage !== 0) exts.push(encodeExtension(EXT.keyUsage, true, encodeKeyUsage(keyUsage)));
  if (extKeyUsages.length > 0)
    exts.push(encodeExtension(EXT.extKeyUsage, false, encodeExtKeyUsage(extKeyUsages)));
  exts.push(encodeExtension(EXT.basicConstraints, true, encodeBasicConstraints(isCA)));
  if (isCA)
    exts.push(encodeExtension(EXT.subjectKeyId, false, der.octets(subjectKeyIdentifier(csr.publicKey))));
  if (issuer?.subjectKeyId && !issuerName.equals(subject)) {
    exts.push(
      encodeExtension(EXT.authorityKeyId, false, der.seq(der.implicitPrimitive(0, issuer.subjectKeyId))),
    );
  }
  const aia = [
    ...(opts.ocspServers ?? []).map((u) => der.seq(der.oid("1.3.6.1.5.5.7.48.1"), uri(u))),
    ...(opts.issuingCertificateURLs ?? []).map((u) => der.seq(der.oid("1.3.6.1.5.5.7.48.2"), uri(u))),
  ];
  if (aia.length > 0) exts.push(encodeExtension(EXT.authorityInfoAccess, false, der.seq(...aia)));
  const nc = csr.extensions.find((e) => e.oid === EXT.nameConstraints);
  if (nc) exts.push(encodeExtension(EXT.nameConstraints, nc.critical, nc.value));
  const crl = (opts.crlDistributionPoints ?? []).map((u) =>
    der.seq(der.explicit(0, der.explicit(0, uri(u)))),
  );
  if (crl.length > 0) exts.push(encodeExtension(EXT.crlDistributionPoints, false, der.seq(...crl)));
  // Go appends the CSR's SAN extension last (it travels as an ExtraExtension), critical iff the subject is empty.
  const san = csr.extensions.find((e) => e.oid === EXT.subjectAltName);
  if (san) exts.push(encodeExtension(EXT.subjectAltName, isEmptyName(subject), san.value));

  const sigAlg = signatureAlgorithmFor(issuerKey);
  const tbs = der.seq(
    der.explicit(0, der.int(2)),
    der.int(opts.serialNumber ?? randomSerial()),
    signatureAlgorithmIdentifier(sigAlg),
    issuerName,
    der.seq(der.time(notBefore), der.time(notAfter)),
    subject,
    csr.publicKey,
    der.explicit(3, der.seq(...exts)),
  );
  const signature = signWith(sigAlg, issuerKey, tbs);
  const certDER = der.seq(tbs, signatureAlgorithmIdentifier(sigAlg), der.bitString(signature));
  // The issuer's key was checked against its certificate above; its signatures verify if the
  // key signs for its own public key (not so for a corrupted key: then the chain check finds it).
  if (issuer && signsForOwnPublicKey(issuerKey)) rememberSignedBy(certDER, issuer);
  return encodePEM("CERTIFICATE", certDER);
}
