/**
 * The domain of time-zone settings (`organizations.time_zone`): IANA time-zone
 * database names — `Area/Location` (`Europe/Copenhagen`,
 * `America/Argentina/Buenos_Aires`, `Etc/GMT+5`) or `UTC` — spelled as the
 * database spells them. Abbreviations (`PST`, `CEST`, `IST`) are refused: they
 * are fixed offsets (a `PST` organization's night would run an hour late all
 * summer) and often ambiguous (`IST`). So are POSIX rules (`EST5EDT`,
 * `CET+3`), the `posix/` and `right/` trees, and legacy single-word aliases
 * (`Japan`, `Zulu`). SQL applies the same rule (`private.is_time_zone_name`,
 * migration 20261130020100); a test keeps the two equal.
 *
 * @module
 */
import { z } from "zod";

/** First segments of IANA names (the tz database's areas and its `backward` links). */
const AREAS = new Set([
  "Africa",
  "America",
  "Antarctica",
  "Arctic",
  "Asia",
  "Atlantic",
  "Australia",
  "Brazil",
  "Canada",
  "Chile",
  "Etc",
  "Europe",
  "Indian",
  "Mexico",
  "Pacific",
  "US",
]);

const SHAPE = /^[A-Z][A-Za-z]*(?:\/[A-Z][A-Za-z0-9_+-]*)+$/;

/**
 * Whether `name` is an IANA time-zone name (see the module doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTimeZoneName } from "./time_zone.ts";
 *
 * assert.equal(isTimeZoneName("Europe/Copenhagen"), true);
 * assert.equal(isTimeZoneName("UTC"), true);
 * assert.equal(isTimeZoneName("PST"), false);
 * assert.equal(isTimeZoneName("europe/copenhagen"), false);
 * ```
 */
export function isTimeZoneName(name: string): boolean {
  if (name === "UTC") return true;
  if (name.length > 64 || !SHAPE.test(name) || !AREAS.has(name.slice(0, name.indexOf("/")))) {
    return false;
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  // Intl matches names case-insensitively; the database spells them one way.
  return resolved.toLowerCase() !== name.toLowerCase() || resolved === name;
}

/** A zod schema for a time-zone setting: 400 with this message otherwise. */
export const timeZoneNameSchema = z.string().refine(
  isTimeZoneName,
  "must be an IANA time zone name such as Europe/Copenhagen or UTC, not an abbreviation",
);
