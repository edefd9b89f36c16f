/**
 * SQLSTATE classes and driver codes that mean "the connection to the server is
 * gone or cannot be made", not "this statement failed": class 08 (connection
 * exception), 57P01 admin_shutdown (`pg_terminate_backend`, fast shutdown),
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or shutting down)
 * (https://www.postgresql.org/docs/15/errcodes-appendix.html), socket errors,
 * and postgres.js's own `CONNECTION_*` codes.
 */
const CONNECTION_CODES = new Set([
  "57P01",
  "57P02",
  "57P03",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/** True when `error` says the database connection was lost or refused (see CONNECTION_CODES). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return CONNECTION_CODES.has(code) || code.startsWith("08");
}

/** Options of {@linkcode ReconnectBackoff}. */
export interface ReconnectBackoffOptions {
  /** First delay after a failure, ms. @default 100 */
  readonly initialMs?: number;
  /** Longest delay, ms (a restarted server is back within it). @default 5000 */
  readonly maxMs?: number;
  /** Where the lost / restored lines go. @default console.warn */
  readonly log?: (line: string) => void;
}

/**
 * Reconnection pacing for one long-lived platform connection of the local stack
 * (pg_net worker, Realtime's replication stream), as hosted services reconnect
 * after a database restart: delays double from `initialMs` up to `maxMs`; the
 * first failure of an outage logs one line (`[<service>] database connection
 * lost (<code>): reconnecting with backoff`), later failures of the same outage
 * log nothing, and the first success after it logs one line with the outage's
 * length and attempts.
 */
export class ReconnectBackoff {
  private failures = 0;
  private lostAt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly log: (line: string) => void;

  constructor(readonly service: string, options: ReconnectBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 100;
    this.maxMs = options.maxMs ?? 5000;
    this.log = options.log ?? ((line) => console.warn(line));
  }

  /** True between a failure and the next success. */
  get failing(): boolean {
    return this.failures > 0;
  }

  /** Records a failure; returns how long to wait before the next attempt, ms. */
  failed(error: unknown): number {
    if (this.failures === 0) {
      this.lostAt = performance.now();
      this.log(
        `[${this.service}] database connection lost (${
          describe(error)
        }): reconnecting with backoff`,
      );
    }
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** this.failures);
    this.failures++;
    return delay;
  }

  /** Records a success; logs the recovery when it ends an outage. */
  succeeded(): void {
    if (this.failures === 0) return;
    const seconds = ((performance.now() - this.lostAt) / 1000).toFixed(1);
    this.log(
      `[${this.service}] database connection restored after ${seconds} s (${this.failures} failed attempts)`,
    );
    this.failures = 0;
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" ? `${code}: ${message}` : message;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
