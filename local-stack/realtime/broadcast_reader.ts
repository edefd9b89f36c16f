import type { Duplex } from "node:stream";
import postgres, { type Sql } from "postgres";
import { ReconnectBackoff, sleep } from "../postgres/reconnect_backoff.ts";
import { PgOutputDecoder, standbyStatusUpdate, type TextRow } from "./pgoutput.ts";

/** A committed row of realtime.messages, as Realtime broadcasts it. */
export interface CommittedBroadcast {
  readonly id: string;
  readonly topic: string;
  readonly event: string;
  readonly private: boolean;
  /** The `payload` column as JSON text. */
  readonly payloadJson: string;
}

/** The publication Realtime creates (`ReplicationConnection.publication_name/2`). */
export const PUBLICATION = "supabase_realtime_messages_publication";

/** `application_name` of the reader's replication connection (visible in pg_stat_activity). */
export const BROADCAST_READER_NAME = "realtime broadcast reader";

/**
 * Reads committed inserts into realtime.messages, in commit order, by logical
 * replication (pgoutput over a temporary slot), as supabase/realtime
 * `lib/realtime/tenants/replication_connection.ex` does: it creates the
 * publication `FOR TABLE realtime.messages` when missing, accepts relations of
 * schema `realtime` whose name starts with `messages` (the partitions of the
 * partitioned table, or the table itself), and skips rows without event, id,
 * topic, private or payload. Rolled-back inserts never reach it.
 * Needs `wal_level = logical` and a role with REPLICATION.
 *
 * When the stream breaks (server restart, `pg_terminate_backend`), it connects
 * again with backoff and a new temporary slot, as Realtime's replication
 * connection is restarted by its supervisor: broadcasts committed while no
 * slot existed are not delivered (the same holds upstream, whose slot is
 * temporary too). One line is logged per outage and one on recovery.
 */
export class BroadcastReader {
  private current: Sql | undefined;
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly backoff: ReconnectBackoff;

  constructor(
    /** URL of a role with REPLICATION (the stack's own superuser). */
    private readonly url: string,
    private readonly onBroadcast: (broadcast: CommittedBroadcast) => void,
    backoff?: ReconnectBackoff,
  ) {
    this.backoff = backoff ?? new ReconnectBackoff("realtime");
  }

  /** Ensures the publication, then starts streaming; resolves once the first stream runs. */
  async start(): Promise<void> {
    const admin = postgres(this.url, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`
        do $$
        begin
          if not exists (select from pg_catalog.pg_publication where pubname = '${PUBLICATION}') then
            create publication ${PUBLICATION} for table realtime.messages;
          end if;
        end
        $$`);
    } finally {
      await admin.end({ timeout: 5 });
    }
    const { ended } = await this.stream();
    this.loop = this.superviseFrom(ended);
  }

  /** Stops streaming; the temporary slot goes with the connection. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.current?.end({ timeout: 0 }).catch(() => {});
    await this.loop;
  }

  /** Waits for each stream to end and opens the next one, with backoff, until stopped. */
  private async superviseFrom(ended: Promise<unknown>): Promise<void> {
    let failure: unknown = await ended;
    while (!this.stopping.signal.aborted) {
      await sleep(this.backoff.failed(failure), this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      try {
        const { ended } = await this.stream();
        this.backoff.succeeded();
        failure = await ended;
      } catch (error) {
        failure = error;
      }
    }
  }

  /**
   * Opens a replication connection, creates a temporary slot and starts
   * streaming from it; resolves once streaming, with `ended`: the reason the
   * stream ended (never rejected). The connection is ended when the stream ends.
   */
  private async stream(): Promise<{ ended: Promise<unknown> }> {
    const ended = Promise.withResolvers<unknown>();
    const sql = postgres(this.url, {
      max: 1,
      idle_timeout: 0, // 0: never (postgres.js `timer`)
      max_lifetime: 0,
      fetch_types: false,
      onnotice: () => {},
      // After the query's or the stream's own error, which says why (e.g. 57P01).
      onclose: () => setTimeout(() => ended.resolve(new Error("replication connection closed"))),
      connection: { replication: "database", application_name: BROADCAST_READER_NAME },
    });
    this.current = sql;
    // stop() may come while this connection is being opened: it ends this one too.
    this.stopping.signal.addEventListener(
      "abort",
      () => ended.resolve(new Error("broadcast reader stopped")),
      { once: true },
    );
    try {
      const slot = `nightshift_realtime_${crypto.randomUUID().replaceAll("-", "")}`;
      const [created] = await sql.unsafe<{ consistent_point: string }[]>(
        `CREATE_REPLICATION_SLOT ${slot} TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT`,
      );
      const query = sql.unsafe(
        `START_REPLICATION SLOT ${slot} LOGICAL ${created!.consistent_point} ` +
          `(proto_version '1', publication_names '${PUBLICATION}')`,
      );
      const writable = query.writable();
      // The query settles again when the stream breaks: handled here, not left unhandled.
      query.catch((error: unknown) => ended.resolve(error));
      const stream = await writable as unknown as Duplex;
      const decoder = new PgOutputDecoder();
      stream.on("data", (data: Uint8Array) => {
        try {
          this.receive(stream, decoder, data);
        } catch (error) {
          // A message this decoder cannot read: start over on a new slot rather than crash.
          ended.resolve(error);
        }
      });
      stream.on("error", (error: unknown) => ended.resolve(error));
      stream.on("close", () => ended.resolve(new Error("replication stream closed")));
    } catch (error) {
      await sql.end({ timeout: 0 }).catch(() => {});
      throw error;
    }
    return {
      ended: ended.promise.then(async (reason) => {
        await sql.end({ timeout: 0 }).catch(() => {});
        return reason;
      }),
    };
  }

  private receive(stream: Duplex, decoder: PgOutputDecoder, data: Uint8Array): void {
    const message = decoder.decode(data);
    if (message.kind === "keepalive" && message.replyRequested) {
      stream.write(standbyStatusUpdate(decoder.walPosition));
    }
    if (message.kind !== "insert") return;
    const { relation, row } = message;
    if (relation.schema !== "realtime" || !relation.table.startsWith("messages")) return;
    const broadcast = toBroadcast(row);
    if (broadcast) this.onBroadcast(broadcast);
  }
}

/** A row of realtime.messages in text form (uuid, text, text, boolean `t`/`f`, jsonb). */
function toBroadcast(row: TextRow): CommittedBroadcast | undefined {
  const { id, topic, event, payload } = row;
  const isPrivate = row.private;
  if (typeof id !== "string" || typeof topic !== "string" || typeof event !== "string") {
    return undefined;
  }
  if ((isPrivate !== "t" && isPrivate !== "f") || typeof payload !== "string") return undefined;
  // Parsed and written again: jsonb's text form has spaces the wire form has not.
  const payloadJson = JSON.stringify(JSON.parse(payload));
  return { id, topic, event, private: isPrivate === "t", payloadJson };
}
