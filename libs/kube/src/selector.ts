/**
 * Client-side evaluation of equality-based label selectors ("a=b", "a==b", "a!=b", "a", "!a",
 * comma-separated), used to keep read-your-writes cache updates inside an informer's selector.
 * Set-based terms ("a in (x,y)") are not evaluated: they count as a match.
 */
export function matchesLabelSelector(
  selector: string | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (!selector) return true;
  for (const raw of selector.split(",")) {
    const term = raw.trim();
    if (!term) continue;
    if (/\s(in|notin)\s*\(/.test(term)) return true;
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^!=\s]+)\s*!=\s*(.*)$/))) {
      if (labels[m[1]!] === m[2]!.trim()) return false;
    } else if ((m = term.match(/^([^!=\s]+)\s*==?\s*(.*)$/))) {
      if (labels[m[1]!] !== m[2]!.trim()) return false;
    } else if ((m = term.match(/^!\s*(\S+)$/))) {
      if (m[1]! in labels) return false;
    } else if (!(term in labels)) {
      return false;
    }
  }
  return true;
}
