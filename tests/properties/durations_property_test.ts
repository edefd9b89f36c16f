/**
 * Properties of durations (`30s`, `1h30m`): formatting and parsing round-trip
 * over the whole accepted range, any spelling of one value parses to it, and
 * anything else is refused with a message saying what to write.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatDuration,
  InvalidDurationError,
  MAX_DURATION_MS,
  parseDuration,
} from "../../shared/util/durations.ts";

Deno.test("formatDuration and parseDuration round-trip from 0 to 30 days", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
    const text = formatDuration(ms);
    assert.match(text, /^(?:\d+(?:d|h|m|s|ms))+$/);
    assert.equal(parseDuration(text), ms);
    assert.equal(parseDuration(` ${text.toUpperCase()} `), ms, "case and spaces around");
  }));
});

Deno.test("parseDuration reads any sum of parts as their total", () => {
  const part = fc.tuple(fc.nat({ max: 1_000 }), fc.constantFrom("ms", "s", "m", "h", "d"));
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
    const total = parts.reduce((sum, [n, unit]) => sum + n * factor[unit], 0);
    const text = parts.map(([n, unit]) => `${n}${unit}`).join("");
    if (total <= MAX_DURATION_MS) assert.equal(parseDuration(text), total);
    else assert.throws(() => parseDuration(text), InvalidDurationError);
  }));
});

Deno.test("parseDuration refuses anything else with a clear error, never another throw", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
      try {
        const ms = parseDuration(text);
        assert.ok(Number.isInteger(ms) && ms >= 0 && ms <= MAX_DURATION_MS);
      } catch (error) {
        assert.ok(error instanceof InvalidDurationError, String(error));
        assert.match(error.message, /duration/i);
      }
    }),
    { numRuns: 1_000 },
  );
});
