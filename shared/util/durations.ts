/**
 * Human-readable durations (`30s`, `10m`, `24h`, `1h30m`) for settings of every area.
 *
 * @module
 */
import { z } from "zod";

/** A duration string (`30s`, `10m`, `24h`) that cannot be parsed. Code `E_INVALID_DURATION`. */
export class InvalidDurationError extends Error {
  override name = "InvalidDurationError";
  /** Stable code of the error. */
  readonly code = "E_INVALID_DURATION";
  constructor(readonly value: string, reason: string) {
    super(`Invalid duration: ${reason}: received ${JSON.stringify(value)}`);
  }
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const WHOLE = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** Longest duration accepted anywhere in the cache configuration: 30 days. */
export const MAX_DURATION_MS = 30 * UNIT_MS.d;

/**
 * Parses a duration made of `<integer><unit>` parts, units `ms`, `s`, `m`, `h`, `d`,
 * into milliseconds. Throws {@linkcode InvalidDurationError} with what to fix otherwise
 * (no unit, decimals, negative numbers, unknown units, more than 30 days).
 *
 * @example Parse durations
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./durations.ts";
 *
 * assert.deepEqual(parseDuration("30s"), 30_000);
 * assert.deepEqual(parseDuration("1h30m"), 5_400_000);
 * ```
 */
export function parseDuration(text: string): number {
  const value = text.trim().toLowerCase();
  if (value === "") {
    throw new InvalidDurationError(text, "expected a number with a unit such as 30s, 10m or 24h");
  }
  if (!WHOLE.test(value)) {
    throw new InvalidDurationError(
      text,
      "expected whole numbers with a unit (ms, s, m, h, d) such as 30s, 10m, 24h or 1h30m",
    );
  }
  let total = 0;
  for (const [, amount, unit] of value.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  if (total > MAX_DURATION_MS) {
    throw new InvalidDurationError(text, "must be at most 30d");
  }
  return total;
}

/**
 * Formats milliseconds as the shortest duration string `parseDuration` reads back.
 *
 * @example Format a duration
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./durations.ts";
 *
 * assert.deepEqual(formatDuration(90_000), "1m30s");
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) {
    throw new RangeError(`Cannot format duration: expected a non-negative integer: received ${ms}`);
  }
  if (ms === 0) return "0s";
  let rest = ms;
  let text = "";
  for (const unit of ["d", "h", "m", "s", "ms"] as const) {
    const amount = Math.floor(rest / UNIT_MS[unit]);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * UNIT_MS[unit];
  }
  return text;
}

/**
 * A zod schema reading a duration string into milliseconds, with the message of
 * {@linkcode parseDuration} on failure. `min` rejects shorter durations (e.g. 1 for
 * "must be positive").
 */
export function durationSchema(min = 0): z.ZodType<number, string> {
  return z.string().transform((text, context) => {
    try {
      const ms = parseDuration(text);
      if (ms < min) {
        context.addIssue({
          code: "custom",
          message: `Invalid duration: must be at least ${formatDuration(min)}: received ${
            JSON.stringify(text)
          }`,
        });
        return z.NEVER;
      }
      return ms;
    } catch (error) {
      if (!(error instanceof InvalidDurationError)) throw error;
      context.addIssue({ code: "custom", message: error.message });
      return z.NEVER;
    }
  });
}
