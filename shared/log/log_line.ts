/**
 * A lean writer for lines written on every request (the shell's request line):
 * the same line LogTape would write, byte for byte, without building a LogTape
 * record and passing it through LogTape's dispatch and sinks.
 *
 * How hosted Supabase collects a function's logs (supabase/edge-runtime, read for
 * this): in a user worker, `console` is replaced by a `Console` whose print
 * function calls `op_user_worker_log(msg, level)` (ext/runtime/js/bootstrap.js),
 * and that op sends one `WorkerEvents::Log(LogEvent { msg, level })` per call to
 * the log pipeline (ext/event_worker/js_interceptors.rs, events.rs). A user
 * worker's `Deno.stdout` / `Deno.stderr` are `/dev/null`
 * (crates/base/src/runtime/mod.rs). So each line must be its own console call:
 * lines joined into one call would arrive as one event, and lines written to
 * `Deno.stdout` would be lost. Deferring the calls (LogTape's non-blocking sink)
 * moves the work but does not save it; this writer calls the console once per
 * line, at once.
 *
 * @module
 */
import { compareLogLevel, type Logger } from "@logtape/logtape";
import { directConsoleLevel, LOG_ROOT, plainLogLine } from "./logging.ts";

/** Levels a line may have. */
export type LineLevel = "debug" | "info" | "warning" | "error";

/** The console method LogTape's console sink uses for each level. */
const CONSOLE_METHOD = {
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
} as const satisfies Record<LineLevel, keyof Console>;

/** Writes one line of `log` at `level` with `message` (no placeholders) and `properties`. */
export type LineWriter = (
  level: LineLevel,
  message: string,
  properties: Record<string, unknown>,
) => void;

/**
 * A writer for `log`'s lines. With the project's console sink configured
 * (`configureLogging` without a `sink`), a line at or above the configured level
 * is formatted as {@linkcode formatLogLine} would format LogTape's record
 * (`plainLogLine`) and written with one console call, as LogTape's console sink
 * writes it; below the level it costs one comparison. Otherwise (a sink of the
 * caller's, a logger outside the project's root category, logging not configured, a message with placeholders, a property
 * that needs LogTape's formatter) the line goes through `log`, as before.
 */
export function lineWriter(log: Logger): LineWriter {
  const loggerName = log.category.join(".");
  const ours = log.category[0] === LOG_ROOT;
  return function writeLine(level, message, properties) {
    const lowest = ours ? directConsoleLevel() : undefined;
    if (lowest !== undefined && !message.includes("{")) {
      if (compareLogLevel(level, lowest) < 0) return;
      const line = plainLogLine(Date.now(), level, message, loggerName, properties);
      if (line !== undefined) {
        console[CONSOLE_METHOD[level]](line);
        return;
      }
    }
    log[level](message, properties);
  };
}
