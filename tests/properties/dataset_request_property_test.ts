/**
 * Properties of `parseDatasetRequest`, the datasets function's parameter
 * boundary: every documented value is accepted and read back canonically,
 * every other one is refused with a clear 4xx error (never another throw),
 * whatever the query holds.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseDatasetRequest } from "../../shared/datasets/dataset_request.ts";

const ORG = "0a000000-0000-4000-8000-000000000001";
const CLIENT_ERRORS = new Set(["invalid_request", "not_found", "payload_too_large"]);

function priceAlerts(query: Record<string, string>): URL {
  const url = new URL("http://localhost/datasets/price-alerts");
  url.searchParams.set("organization_id", ORG);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url;
}

/** The error a parse throws, checked to be a client error with a message; undefined if none. */
function clientError(url: URL): { code: string; message: string } | undefined {
  try {
    parseDatasetRequest(url);
    return undefined;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    assert.ok(typeof code === "string" && CLIENT_ERRORS.has(code), `a 4xx code: ${String(error)}`);
    assert.ok(typeof message === "string" && message.length > 0 && message.length < 600);
    return { code, message };
  }
}

Deno.test("threshold_percent: accepted exactly on the documented domain 0 < x <= 1000", () => {
  const inDomain = fc.integer({ min: 1, max: 10_000_000 }).map((n) => n / 10_000);
  fc.assert(fc.property(inDomain, (value) => {
    const text = value.toFixed(4).replace(/\.?0+$/, "");
    const parsed = parseDatasetRequest(priceAlerts({ threshold_percent: text }));
    assert.equal(parsed.params.threshold_percent, value);
  }));
  for (const refused of ["0", "0.0", "0.0000", "1000.0001", "1001", "-1", "1e2", "", " 5", "NaN"]) {
    const error = clientError(priceAlerts({ threshold_percent: refused }));
    assert.equal(error?.code, "invalid_request", refused);
    assert.match(error!.message, /threshold_percent/, refused);
  }
});

Deno.test("limit: 1..1000 read back as numbers (leading zeros canonical), everything else 400", () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.nat({ max: 2 }), (n, zeros) => {
    const parsed = parseDatasetRequest(priceAlerts({ limit: "0".repeat(zeros) + n }));
    assert.equal(parsed.params.limit, n);
  }));
  fc.assert(fc.property(
    fc.oneof(fc.integer({ min: 1001 }), fc.integer({ max: 0 })).map(String),
    (text) => assert.equal(clientError(priceAlerts({ limit: text }))?.code, "invalid_request"),
  ));
});

Deno.test("dates: real calendar dates round-trip, other strings are 400", () => {
  const day = fc.date({
    min: new Date("1900-01-01T00:00:00Z"),
    max: new Date("2999-12-31T00:00:00Z"),
    noInvalidDate: true,
  }).map((d) => d.toISOString().slice(0, 10));
  fc.assert(fc.property(day, (date) => {
    assert.equal(parseDatasetRequest(priceAlerts({ from: date, to: date })).params.from, date);
  }));
  for (const bad of ["2026-02-30", "2026-13-01", "2026-1-01", "20260101", "2026-01-01T00:00"]) {
    assert.equal(clientError(priceAlerts({ from: bad }))?.code, "invalid_request", bad);
  }
});

Deno.test("any query, any path: a request either parses or gets a clear 4xx", () => {
  const anyText = fc.string({ unit: "binary", maxLength: 80 });
  fc.assert(
    fc.property(
      fc.constantFrom("price-alerts", "supplier-data", "dashboard-metrics", "nope", ""),
      fc.dictionary(anyText, anyText, { maxKeys: 6 }),
      (dataset, query) => {
        const url = new URL(`http://localhost/datasets/${encodeURIComponent(dataset)}`);
        url.searchParams.set("organization_id", ORG);
        for (const [name, value] of Object.entries(query)) url.searchParams.append(name, value);
        clientError(url);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("parameter order and encoding never change the parsed request", () => {
  fc.assert(fc.property(
    fc.shuffledSubarray(
      [["limit", "10"], ["threshold_percent", "5"], ["from", "2026-01-01"], ["to", "2026-02-01"]],
      { minLength: 1 },
    ),
    (pairs) => {
      const forward = priceAlerts(Object.fromEntries(pairs));
      const backward = priceAlerts(Object.fromEntries([...pairs].reverse()));
      assert.deepEqual(parseDatasetRequest(forward), parseDatasetRequest(backward));
    },
  ));
});
