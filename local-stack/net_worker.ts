import postgres, { type Sql } from "postgres";
import { isConnectionError, ReconnectBackoff, sleep } from "./postgres/reconnect_backoff.ts";

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: Uint8Array<ArrayBuffer> | null;
  timeout_milliseconds: number;
}

/**
 * pg_net's defaults (supabase/pg_net `src/worker.c`): `pg_net.ttl` = 6 hours,
 * `pg_net.batch_size` = 200 requests (and expired responses) per cycle.
 */
export const PG_NET_DEFAULTS = { ttl: "6 hours", batchSize: 200 } as const;
/** `application_name` of the worker's connections; `net.check_worker_is_up()` looks for it. */
export const PG_NET_WORKER_NAME = "pg_net worker";

/**
 * Plays pg_net's background worker for the local stack: takes committed rows of
 * `net.http_request_queue`, sends them with their timeout and records the outcome
 * in `net._http_response` under the same id (`timed_out` on timeout). Like pg_net,
 * delivery is at most once: a request is removed from the queue before it is sent.
 *
 * Survives a database restart or a terminated backend as pg_net's worker does
 * (a background worker restarted by the postmaster): the pool reconnects, the
 * loop waits with backoff while the server is unreachable (one line logged per
 * outage, one on recovery), and the LISTEN that wakes it is taken again after
 * an outage. A request whose response could not be recorded because the
 * connection broke mid-send stays sent once, without a response row.
 */
export class NetWorker {
  private readonly stopping = new AbortController();
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly backoff = new ReconnectBackoff("pg_net");

  private readonly sql: Sql;

  /** `dbUrl`: the platform's connection (supabase_admin), as pg_net's worker runs as a superuser. */
  constructor(dbUrl: string, private readonly pollIntervalMs = 500) {
    this.sql = postgres(dbUrl, {
      max: 4,
      onnotice: () => {},
      connection: { application_name: PG_NET_WORKER_NAME },
    });
  }

  /** Starts listening for new requests. */
  async start(): Promise<void> {
    await this.listen();
    this.loop = this.run();
  }

  /** Stops after the batch in flight. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    await this.unlisten?.().catch(() => {});
    await this.sql.end({ timeout: 5 });
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /**
   * LISTENs for the queue's wake-ups, replacing an earlier LISTEN: postgres.js
   * listens again by itself when its connection closes, but gives up silently
   * when the server is down at that moment.
   */
  private async listen(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    const listener = await this.sql.listen("nightshift_pg_net", () => this.wake?.());
    this.unlisten = () => listener.unlisten();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let handled = 0;
      try {
        if (this.backoff.failing) await this.listen();
        handled = await this.processBatch();
        if (await this.queueExists()) {
          await this.sql`
            delete from net._http_response
             where ctid in (select ctid from net._http_response
                             where created < now() - ${PG_NET_DEFAULTS.ttl}::interval
                             limit ${PG_NET_DEFAULTS.batchSize})`;
        }
        this.backoff.succeeded();
      } catch (error) {
        if (this.stopped) break;
        if (isConnectionError(error)) {
          await sleep(this.backoff.failed(error), this.stopping.signal);
          continue;
        }
        console.error("[pg_net] worker error:", error);
      }
      if (handled === 0 && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollIntervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  /** pg_net is enabled per project (`create extension pg_net`); until then there is nothing to send. */
  private async queueExists(): Promise<boolean> {
    const [row] = await this.sql<{ exists: boolean }[]>`
      select to_regclass('net.http_request_queue') is not null as exists`;
    return row?.exists ?? false;
  }

  private async processBatch(): Promise<number> {
    if (!(await this.queueExists())) return 0;
    const requests = await this.sql<QueuedRequest[]>`
      delete from net.http_request_queue
       where id in (select id from net.http_request_queue order by id limit ${PG_NET_DEFAULTS.batchSize}
                    for update skip locked)
      returning id, method, url, headers, body, timeout_milliseconds`;
    await Promise.all(requests.map((request) => this.send(request)));
    return requests.length;
  }

  private async send(request: QueuedRequest): Promise<void> {
    const started = performance.now();
    try {
      const response = await fetch(request.url, {
        method: request.method.toUpperCase(),
        headers: request.headers ?? {},
        ...(request.body ? { body: request.body } : {}),
        signal: AbortSignal.timeout(request.timeout_milliseconds),
        redirect: "follow",
      });
      const content = await response.text();
      const headers = Object.fromEntries(response.headers.entries());
      await this.sql`
        insert into net._http_response (id, status_code, content_type, headers, content, timed_out)
        values (${request.id}, ${response.status}, ${response.headers.get("content-type")},
                ${this.sql.json(headers)}, ${content}, false)`;
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === "TimeoutError";
      const elapsed = Math.round(performance.now() - started);
      const message = timedOut
        ? `Timeout of ${request.timeout_milliseconds} ms reached. Total time: ${elapsed} ms`
        : `Couldn't connect to server: ${(error as Error).message}`;
      await this.sql`
        insert into net._http_response (id, status_code, timed_out, error_msg)
        values (${request.id}, null, ${timedOut}, ${message})`;
    }
  }
}
