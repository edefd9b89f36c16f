/**
 * `formatLogLine` writes what LogTape's JSON Lines formatter (properties
 * flattened) writes, byte for byte, for every record: its fast path for plain
 * properties and its fallback for everything else.
 */
import assert from "node:assert/strict";
import { getJsonLinesFormatter, type LogLevel, type LogRecord } from "@logtape/logtape";
import fc from "fast-check";
import { formatLogLine } from "../../shared/log/logging.ts";

const reference = getJsonLinesFormatter({ properties: "flatten" });

function record(
  properties: Record<string, unknown>,
  message: readonly unknown[] = ["request"],
  level: LogLevel = "info",
): LogRecord {
  return {
    category: ["nightshift", "datasets"],
    level,
    message,
    rawMessage: typeof message[0] === "string" && message.length === 1 ? message[0] : "{x}",
    timestamp: Date.parse("2026-11-30T16:00:00.000Z"),
    properties,
  };
}

/** Property names: any string, and those that collide with a line's own fields or sort first. */
const KEY = fc.oneof(
  fc.string(),
  fc.constantFrom("@timestamp", "level", "message", "logger", "0", "12", "__proto__", "toJSON"),
);

Deno.test("formatLogLine writes LogTape's JSON line for any JSON-like properties", () => {
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.string({ unit: "binary" }),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
    ),
  })).value;
  fc.assert(
    fc.property(
      fc.dictionary(KEY, json, { maxKeys: 8 }),
      fc.constantFrom<LogLevel>("debug", "info", "warning", "error"),
      (properties, level) => {
        const line = record(properties, ["request"], level);
        assert.equal(formatLogLine(line), reference(line));
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("formatLogLine falls back to LogTape for errors, bigints, cycles, templates and C1 controls", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cases = [
    record({ error: new Error("boom", { cause: new TypeError("inner") }) }),
    record({ nested: { deeper: [new RangeError("deep")] } }),
    record({ count: 12n }),
    record({ cyclic }),
    record({ deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } }),
    record({ text: "del \u007f and c1 \u0085" }),
    record({ when: new Date(0) }),
    record({ status: 503 }, ["", 503, " failed: ", "E_X", ""]),
    record({ level: "mine", 7: "index-like", logger: "x" }),
    record(Object.assign(Object.create(null), { status: 200 })),
    record({}),
  ];
  for (const line of cases) assert.equal(formatLogLine(line), reference(line));
  assert.match(formatLogLine(cases[0]!), /"message":"boom"/);
});
