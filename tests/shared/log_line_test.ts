/**
 * `lineWriter` writes, with the project's console sink, the very line LogTape
 * writes for the same call (record, level filter, formatter, console method),
 * byte for byte, one console call per line; and goes through LogTape when a sink
 * of the caller's is configured.
 */
import assert from "node:assert/strict";
import type { LogLevel, LogRecord } from "@logtape/logtape";
import fc from "fast-check";
import { type LineLevel, lineWriter } from "../../shared/log/log_line.ts";
import { configureLogging, formatLogLine, logger } from "../../shared/log/logging.ts";

type ConsoleMethod = "debug" | "info" | "warn" | "error";
const METHODS: ConsoleMethod[] = ["debug", "info", "warn", "error"];

/** Console calls made while `run` runs (method and arguments), with Date.now fixed. */
function consoleCalls(run: () => void): Array<[ConsoleMethod, unknown[]]> {
  const calls: Array<[ConsoleMethod, unknown[]]> = [];
  const saved = METHODS.map((method) => console[method]);
  const savedNow = Date.now;
  for (const method of METHODS) console[method] = (...args) => calls.push([method, args]);
  Date.now = () => Date.parse("2026-11-30T16:00:00.123Z");
  try {
    run();
  } finally {
    METHODS.forEach((method, i) => (console[method] = saved[i]!));
    Date.now = savedNow;
  }
  return calls;
}

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ unit: "binary" }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 3 }),
  ),
})).value;

Deno.test("lineWriter writes LogTape's line for the same call, byte for byte", () => {
  const log = logger("datasets");
  const write = lineWriter(log);
  const levels: LineLevel[] = ["debug", "info", "warning", "error"];
  try {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom("level", "message", "logger", "0", "__proto__")),
          json,
          { maxKeys: 8 },
        ),
        fc.constantFrom(...levels),
        fc.constantFrom<LogLevel>("debug", "info", "warning", "error"),
        fc.constantFrom("request", "a plain message"),
        (properties, level, lowest, message) => {
          // The reference: LogTape's own record through LogTape's console sink.
          const reference: string[] = [];
          configureLogging({
            level: lowest,
            sink: (record: LogRecord) => reference.push(formatLogLine(record)),
          });
          consoleCalls(() => write(level, message, properties));
          // The writer with the project's console sink.
          configureLogging({ level: lowest });
          // Reconfiguring disposes the sink, writing what LogTape buffered (a line
          // that needs LogTape's formatter goes through LogTape's buffered sink).
          const calls = consoleCalls(() => {
            write(level, message, properties);
            configureLogging({ level: lowest });
          });
          const method = ({ warning: "warn" } as Record<string, ConsoleMethod>)[level] ?? level;
          assert.deepEqual(
            calls,
            reference.map((line) => [method, [line.replace(/\n$/, "")]]),
          );
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    configureLogging({ level: "warning" });
  }
});

Deno.test("lineWriter goes through LogTape to a sink of the caller's", () => {
  const records: LogRecord[] = [];
  configureLogging({ level: "info", sink: (record: LogRecord) => records.push(record) });
  try {
    const write = lineWriter(logger("fn"));
    const calls = consoleCalls(() => {
      write("info", "request", { status: 200 });
      write("debug", "request", { status: 200 });
      write("error", "{status} failed", { status: 503 });
    });
    assert.deepEqual(calls, []);
    assert.deepEqual(records.map((record) => [record.level, record.message, record.properties]), [
      ["info", ["request"], { status: 200 }],
      ["error", ["", 503, " failed"], { status: 503 }],
    ]);
  } finally {
    configureLogging({ level: "warning" });
  }
});
