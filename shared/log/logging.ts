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
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  type Logger,
  type LogLevel,
  type Sink,
} from "@logtape/logtape";

/** Levels a function may be configured with (`LOG_LEVEL`), lowest first. */
export const LOG_LEVELS = ["debug", "info", "warning", "error"] as const;

/** Root category of every logger of the project. */
const ROOT = "nightshift";

/** Where log lines go and from which level. */
export interface LoggingOptions {
  /** Lowest level written. @default "info" */
  readonly level?: LogLevel;
  /** Where records go. @default the console, one JSON line per record */
  readonly sink?: Sink;
}

/** The JSON Lines formatter every sink of the project writes with. */
export const formatLogLine = getJsonLinesFormatter({ properties: "flatten" });

/**
 * Configures logging for this isolate (again, when called again: tests swap the
 * sink). Functions call it once at start-up with their `LOG_LEVEL`.
 */
export function configureLogging(options: LoggingOptions = {}): void {
  configureSync({
    reset: true,
    sinks: { out: options.sink ?? getConsoleSink({ formatter: formatLogLine }) },
    loggers: [
      { category: [ROOT], sinks: ["out"], lowestLevel: options.level ?? "info" },
      { category: ["logtape", "meta"], sinks: ["out"], lowestLevel: "warning" },
    ],
  });
}

/** The logger of one function or area, e.g. `logger("datasets")` → `nightshift.datasets`. */
export function logger(...category: string[]): Logger {
  return getLogger([ROOT, ...category]);
}
