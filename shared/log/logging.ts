/**
 * Structured JSON logs for every function, through LogTape (npm `@logtape/logtape`,
 * which runs under Deno and the Edge Runtime): one JSON object per line on the
 * console, which Supabase collects as the function's logs.
 *
 * A line looks like
 * `{"@timestamp":"2026-11-30T16:00:00.000Z","level":"INFO","message":"request","logger":"nightshift.datasets","request_id":"…","route":"/datasets/:dataset","status":200,"duration_ms":1.2}`:
 * LogTape's JSON Lines formatter with the properties flattened into the object.
 *
 * @module
 */
import {
  configureSync,
  disposeSync,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
  type Sink,
  withFilter,
} from "@logtape/logtape";

/** Levels a function may be configured with (`LOG_LEVEL`), lowest first. */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;

/** Root category of every logger of the project. */
export const LOG_ROOT = "nightshift";

/** Where log lines go and from which level. */
export interface LoggingOptions {
  /** Lowest level written. @default "info" */
  readonly level?: LogLevel;
  /** Where records go. @default the console, one JSON line per record */
  readonly sink?: Sink;
}

/** LogTape's JSON Lines formatter, properties flattened: the reference output. */
const jsonLines = getJsonLinesFormatter({ properties: "flatten" });

/** DEL and C1 controls, which LogTape's formatter escapes (JSON.stringify leaves them raw). */
const C1_CONTROLS = /[\u007f-\u009f]/;

/** Deepest nesting checked; deeper values (or a cycle) go to LogTape's formatter. */
const MAX_PLAIN_DEPTH = 6;

/**
 * True when `value` is written by JSON.stringify as LogTape's replacer would write
 * it: strings, finite or not numbers, booleans, null, undefined, and arrays and
 * plain objects of those, at most {@linkcode MAX_PLAIN_DEPTH} deep.
 */
function plainValue(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
      return true;
    case "object":
      if (value === null) return true;
      if (depth >= MAX_PLAIN_DEPTH) return false;
      if (Array.isArray(value)) return value.every((item) => plainValue(item, depth + 1));
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) {
        if (!plainValue((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    default:
      return false;
  }
}

/**
 * The JSON Lines formatter every sink of the project writes with: LogTape's
 * `getJsonLinesFormatter({ properties: "flatten" })`, byte for byte, with a fast
 * path for the common record (a message without placeholders, plain JSON
 * properties: every request line). LogTape's formatter stringifies through a
 * replacer function (errors, bigints, cycles), which keeps V8 off its fast
 * `JSON.stringify` path and made formatting the largest cost of a request's
 * line; plain properties need no replacer. Anything else (an `Error`, a bigint,
 * a class instance, a cycle, a template message, a C1 control character) goes
 * to LogTape's formatter. Returns the line with its `\n`.
 */
export function formatLogLine(record: LogRecord): string {
  if (record.message.length !== 1 || typeof record.message[0] !== "string") {
    return jsonLines(record);
  }
  const line = plainLogLine(
    record.timestamp,
    record.level,
    record.message[0],
    record.category.join("."),
    record.properties,
  );
  return line === undefined ? jsonLines(record) : line + "\n";
}

/**
 * The line {@linkcode formatLogLine} writes for a record of a plain `message` (no
 * placeholders) and these fields, without its `\n`; undefined when a property
 * needs LogTape's formatter (see {@linkcode formatLogLine}). `timestamp` in
 * milliseconds since the epoch; `loggerName` the category joined with dots.
 */
export function plainLogLine(
  timestamp: number,
  level: LogLevel,
  message: string,
  loggerName: string,
  properties: Readonly<Record<string, unknown>>,
): string | undefined {
  // Whether the properties follow the four leading fields as JSON.stringify of
  // `{ "@timestamp", level, message, logger, ...properties }` would place them: no
  // key of those four (it would take that field's place) and no index-like key
  // (V8 lists those first).
  let trailing = Object.getPrototypeOf(properties) === Object.prototype;
  for (const key in properties) {
    if (!plainValue(properties[key])) return undefined;
    if (trailing && (LEADING_FIELDS.has(key) || isDigit(key.charCodeAt(0)))) trailing = false;
  }
  const levelName = level === "warning" ? "WARN" : level.toUpperCase();
  let json: string;
  try {
    const at = isoTimestamp(timestamp);
    if (trailing) {
      // The same bytes, without building the merged object.
      const head = `{"@timestamp":"${at}","level":"${levelName}","message":${
        JSON.stringify(message)
      },"logger":${JSON.stringify(loggerName)}`;
      const rest = JSON.stringify(properties);
      json = rest === "{}" ? head + "}" : head + "," + rest.slice(1);
    } else {
      json = JSON.stringify({
        "@timestamp": at,
        level: levelName,
        message,
        logger: loggerName,
        ...properties,
      });
    }
  } catch {
    return undefined; // a getter that throws, say: LogTape's replacer copes
  }
  return C1_CONTROLS.test(json) ? undefined : json;
}

/** The fields every line starts with. */
const LEADING_FIELDS = new Set(["@timestamp", "level", "message", "logger"]);

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

let lastTimestamp = Number.NaN;
let lastIso = "";

/** `new Date(timestamp).toISOString()`, remembered for the last millisecond asked. */
function isoTimestamp(timestamp: number): string {
  if (timestamp !== lastTimestamp) {
    lastIso = new Date(timestamp).toISOString();
    lastTimestamp = timestamp;
  }
  return lastIso;
}

/**
 * The default sink: the console, one JSON line per record (one console call per
 * line: the platform makes each call one log event, see log_line.ts). Debug and
 * info records are buffered and written off the path that logged them (LogTape's
 * non-blocking console sink: every 100 ms or 100 records, and when the isolate
 * unloads); warnings and errors are written at once, so a 5xx line is never lost
 * with a crashing isolate. The shell's request lines skip LogTape's record and
 * this buffer altogether (`lineWriter`, log_line.ts) and call the console at once.
 */
function consoleSink(): Sink & Disposable {
  const nonBlocking = getConsoleSink({ formatter: formatLogLine, nonBlocking: true }) as
    & Sink
    & Disposable;
  const buffered = withFilter(
    nonBlocking,
    (record) => record.level === "debug" || record.level === "info" || record.level === "trace",
  );
  const direct = withFilter(getConsoleSink({ formatter: formatLogLine }), "warning");
  // Disposing (on reconfiguration and when the isolate unloads) writes what is buffered.
  return Object.assign((record: LogRecord) => {
    buffered(record);
    direct(record);
  }, { [Symbol.dispose]: () => nonBlocking[Symbol.dispose]() });
}

let flushOnUnload = false;

/**
 * The lowest level of the active configuration when its sink is the project's
 * console sink (`configureLogging` without `sink`), else undefined: lines of the
 * project's loggers may then go straight to the console (see log_line.ts).
 */
let consoleLevel: LogLevel | undefined;

/** See {@linkcode consoleLevel}. */
export function directConsoleLevel(): LogLevel | undefined {
  return consoleLevel;
}

/**
 * Configures logging for this isolate (again, when called again: tests swap the
 * sink). Functions call it once at start-up with their `LOG_LEVEL`.
 */
export function configureLogging(options: LoggingOptions = {}): void {
  consoleLevel = undefined;
  configureSync({
    reset: true,
    sinks: { out: options.sink ?? consoleSink() },
    loggers: [
      { category: [LOG_ROOT], sinks: ["out"], lowestLevel: options.level ?? "info" },
      { category: ["logtape", "meta"], sinks: ["out"], lowestLevel: "warning" },
    ],
  });
  consoleLevel = options.sink ? undefined : options.level ?? "info";
  if (!flushOnUnload && typeof addEventListener === "function") {
    flushOnUnload = true;
    addEventListener("beforeunload", () => disposeSync());
  }
}

/** The logger of one function or area, e.g. `logger("datasets")` → `nightshift.datasets`. */
export function logger(...category: string[]): Logger {
  return getLogger([LOG_ROOT, ...category]);
}
