/**
 * A cache entry as both tiers hold it: the serialized body with its ETag, the tag
 * versions it was written under, and its freshness window.
 *
 * @module
 */

/** One cached response. Times are epoch milliseconds. */
export interface CacheEntry {
  readonly key: string;
  readonly organizationId: string;
  readonly dataset: string;
  /** The serialized response, sent as is. */
  readonly body: string;
  /** Strong ETag of `body`, quoted. */
  readonly etag: string;
  /** Every tag of the entry with the version it was written under. */
  readonly tagVersions: Readonly<Record<string, number>>;
  /** When the computation of `body` started (its data is at least this recent). */
  readonly generatedAt: number;
  /** Fresh before this time. */
  readonly freshUntil: number;
  /** Never served at or after this time. */
  readonly expiresAt: number;
}

/** Freshness of an entry by time alone. */
export type TimeState = "fresh" | "stale" | "expired";

/**
 * Where `now` falls in the entry's window: `fresh` before `freshUntil`, `stale` before
 * `expiresAt`, `expired` from then on. Tag invalidation is checked separately.
 */
export function timeState(entry: CacheEntry, now: number): TimeState {
  if (now >= entry.expiresAt) return "expired";
  return now >= entry.freshUntil ? "stale" : "fresh";
}

/** Length of `text` in UTF-8 bytes, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (
      code >= 0xd800 && code < 0xdc00 && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00
    ) {
      // A surrogate pair is one 4-byte code point.
      bytes += 4;
      index++;
    } else bytes += 3;
  }
  return bytes;
}
