/**
 * A function process's `console` as the Edge Runtime gives one to every user
 * worker. supabase/edge-runtime replaces a user worker's `console` with
 * `new console.Console((msg, level) => ops.op_user_worker_log(msg, level))`
 * (ext/runtime/js/bootstrap.js); that op hands each call's message to a channel
 * as one log event (ext/event_worker/js_interceptors.rs), and the log pipeline
 * does the I/O elsewhere. So on the platform a console call costs the function's
 * thread Deno's formatting and a hand-off, not a write to a file descriptor; in a
 * plain Deno process each call is a synchronous write (plus V8's inspector
 * console), several times that cost.
 *
 * {@linkcode installConsoleRelay} does the same here: a `Console` of Deno's own
 * class (the one the Edge Runtime uses) whose print function queues each call's
 * message (one line per call, as the platform keeps one event per call). Queued
 * debug, log and info messages are written to stdout in batches: at 64 KiB, within
 * 20 ms, when the process unloads and on SIGTERM. Warnings, errors and traces go to
 * stderr at once, after what is queued, so the ready marker and crash or heap-limit
 * lines are never late.
 *
 * @module
 */

/** Deno's `Console` class: `new Console(print)`, `print(message, level)`, 0 debug … 4 trace. */
type ConsoleClass = new (print: (message: string, level: number) => void) => Console;

/** Bytes queued before a write. */
const MAX_QUEUED = 64 * 1024;
/** Longest a queued message waits, in milliseconds. */
const MAX_DELAY_MS = 20;

/** Deno's internal `Console` class, where this Deno exposes it. */
function denoConsoleClass(): ConsoleClass | undefined {
  const internal = (Deno as unknown as Record<symbol, { Console?: ConsoleClass } | undefined>)[
    (Deno as unknown as { internal: symbol }).internal
  ];
  return internal?.Console;
}

/**
 * Replaces `globalThis.console` with the relay described above; returns false
 * (and changes nothing) when this Deno does not expose its `Console` class.
 */
export function installConsoleRelay(): boolean {
  const Console = denoConsoleClass();
  if (!Console) return false;
  const encoder = new TextEncoder();
  let queued: string[] = [];
  let queuedLength = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (queued.length === 0) return;
    const text = queued.join("");
    queued = [];
    queuedLength = 0;
    writeAll(Deno.stdout, encoder.encode(text));
  };
  const relay = new Console((message, level) => {
    if (level > 1) {
      flush();
      writeAll(Deno.stderr, encoder.encode(message));
      return;
    }
    queued.push(message);
    queuedLength += message.length;
    if (queuedLength >= MAX_QUEUED) flush();
    else if (timer === undefined) {
      timer = setTimeout(flush, MAX_DELAY_MS);
      Deno.unrefTimer(timer);
    }
  });
  Object.defineProperty(globalThis, "console", {
    value: relay,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  addEventListener("unload", flush);
  Deno.addSignalListener("SIGTERM", () => {
    flush();
    Deno.exit(143); // as a process ended by SIGTERM reports itself
  });
  return true;
}

/** Writes all of `bytes` to `stream` synchronously. */
function writeAll(stream: { writeSync(bytes: Uint8Array): number }, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
}
