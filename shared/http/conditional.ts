/**
 * True when an `If-None-Match` header matches `etag` (RFC 9110 weak comparison:
 * `W/` prefixes are ignored; `*` matches any current representation).
 */
export function ifNoneMatchMatches(header: string | null, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  const wanted = opaque(etag);
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || opaque(tag) === wanted;
  });
}
