/**
 * Properties of `Retry-After` parsing: delay-seconds and HTTP-dates read back
 * the wait they say (bounded by 24 h), against the answer's own `Date` when it
 * has one; anything else is no hint at all, never a throw or a negative wait.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  retryNotBefore,
} from "../../shared/outbound/retry_after.ts";

const NOW = Date.parse("2026-11-30T12:00:00Z");

Deno.test("retryAfterMs reads delay-seconds exactly, capped at 24 h", () => {
  fc.assert(fc.property(fc.nat({ max: 10_000_000 }), (seconds) => {
    assert.equal(retryAfterMs(String(seconds), NOW), Math.min(seconds * 1_000, MAX_RETRY_AFTER_MS));
  }));
});

Deno.test("retryAfterMs reads an HTTP-date against the answer's Date, whatever our clock says", () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 86_400 }),
    fc.integer({ min: -3_600_000, max: 3_600_000 }),
    (waitSeconds, ourSkewMs) => {
      const sentAt = new Date(NOW);
      const retryAt = new Date(NOW + waitSeconds * 1_000);
      const wait = retryAfterMs(retryAt.toUTCString(), NOW + ourSkewMs, sentAt.toUTCString());
      assert.equal(wait, waitSeconds * 1_000);
    },
  ));
});

Deno.test("retryAfterMs: anything else is no hint, never negative, never a throw", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (value) => {
      const wait = retryAfterMs(value, NOW);
      if (wait !== undefined) {
        assert.ok(Number.isInteger(wait) && wait >= 0 && wait <= MAX_RETRY_AFTER_MS, value);
      }
    }),
    { numRuns: 1_000 },
  );
  for (const value of ["-5", "1.5", "soon", "", "5 minutes", "2026-11-30T12:00:00Z"]) {
    assert.equal(retryAfterMs(value, NOW), undefined, value);
  }
});

Deno.test("retryNotBefore: a hint only on 429 and 503", () => {
  fc.assert(fc.property(fc.integer({ min: 200, max: 599 }), (status) => {
    const response = new Response(null, { status, headers: { "Retry-After": "60" } });
    const notBefore = retryNotBefore(response, NOW);
    assert.equal(notBefore, status === 429 || status === 503 ? NOW + 60_000 : undefined);
  }));
});
