import postgres, { type Sql } from "postgres";

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

/**
 * Reads committed inserts into realtime.messages, in commit order, by logical
 * replication (pgoutput over a temporary slot), as supabase/realtime
 * `lib/realtime/tenants/replication_connection.ex` does: it creates the
 * publication `FOR TABLE realtime.messages` when missing, accepts relations of
 * schema `realtime` whose name starts with `messages` (the partitions of the
 * partitioned table, or the table itself), and skips rows without event, id,
 * topic, private or payload. Rolled-back inserts never reach it.
 * Needs `wal_level = logical` and a role with REPLICATION.
 */
export class BroadcastReader {
  private replication: Sql | undefined;

  constructor(
    /** URL of a role with REPLICATION (the stack's own superuser). */
    private readonly url: string,
    private readonly onBroadcast: (broadcast: CommittedBroadcast) => void,
  ) {}

  /** Ensures the publication, then starts streaming; resolves once subscribed. */
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
    this.replication = postgres(this.url, { publications: PUBLICATION, onnotice: () => {} });
    await this.replication.subscribe("insert", (row, info) => {
      if (info.relation.schema !== "realtime" || !info.relation.table.startsWith("messages")) {
        return;
      }
      const broadcast = toBroadcast(row as Record<string, unknown> | null);
      if (broadcast) this.onBroadcast(broadcast);
    });
  }

  /** Stops streaming; the temporary slot goes with the connection. */
  async stop(): Promise<void> {
    await this.replication?.end({ timeout: 5 }).catch(() => {});
    this.replication = undefined;
  }
}

function toBroadcast(row: Record<string, unknown> | null): CommittedBroadcast | undefined {
  if (!row) return undefined;
  const { id, topic, event, payload } = row;
  const isPrivate = row.private;
  if (typeof id !== "string" || typeof topic !== "string" || typeof event !== "string") {
    return undefined;
  }
  if (typeof isPrivate !== "boolean" || payload === null || payload === undefined) return undefined;
  return { id, topic, event, private: isPrivate, payloadJson: JSON.stringify(payload) };
}
