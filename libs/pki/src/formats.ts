/**
 * Additional output formats. `tls-combined.pem` is tls.key and tls.crt joined by one "\n"
 * (cert-manager's bytes.Join), so a key PEM ending in a newline yields a blank line between them.
 */
export function combinedPEM(keyPEM: string, chainPEM: string): string {
  return `${keyPEM}\n${chainPEM}`;
}
