import type { Sql } from "postgres";

/**
 * Partition maintenance of `realtime.messages`, done as the Realtime server's
 * janitor does it (supabase/realtime `lib/realtime/tenants.ex`
 * `create_messages_partitions/1`, `lib/realtime/messages.ex`
 * `delete_old_messages/1`, `lib/realtime/tenants/janitor/maintenance_task.ex`,
 * schedule from `config/runtime.exs`): one partition per UTC day named
 * `messages_YYYY_MM_DD`, from yesterday to three days ahead, owned by
 * `supabase_realtime_admin`; partitions of days before now − 72 h are dropped.
 * Without a partition for the current day `realtime.send` warns and inserts
 * nothing, exactly as on Supabase.
 */

/** Days created around today: yesterday (−1) to three days ahead (+3), as upstream. */
export const PARTITION_DAYS = { before: 1, after: 3 } as const;
/** Messages are kept 72 hours (upstream `delete_old_messages`). */
export const MESSAGE_RETENTION_HOURS = 72;
/** The janitor runs every 4 hours (upstream JANITOR_SCHEDULE_TIMER_IN_MS default). */
export const JANITOR_INTERVAL_MS = 4 * 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** `YYYY-MM-DD` of a UTC day. */
function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** `messages_YYYY_MM_DD`: the partition name of a UTC day (`YYYY-MM-DD`). */
export function partitionName(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    throw new RangeError(`Cannot name a partition: day must be YYYY-MM-DD: received ${day}`);
  }
  return `messages_${day.replaceAll("-", "_")}`;
}

/**
 * Creates the partitions of the days around `now` that do not exist yet, each in
 * its own transaction; returns the names created. `sql` must connect as the
 * platform (supabase_admin), as the Realtime server does.
 */
export async function createMessagesPartitions(
  sql: Sql,
  now: Date = new Date(),
): Promise<string[]> {
  const created: string[] = [];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let offset = -PARTITION_DAYS.before; offset <= PARTITION_DAYS.after; offset++) {
    const day = isoDay(today + offset * DAY_MS);
    const next = isoDay(today + (offset + 1) * DAY_MS);
    const name = partitionName(day);
    const [existing] = await sql`select to_regclass(${`realtime.${name}`}) as oid`;
    if (existing?.oid) continue;
    await sql.begin(async (tx) => {
      await tx.unsafe(
        `create table if not exists realtime.${name} partition of realtime.messages ` +
          `for values from ('${day}') to ('${next}')`,
      );
      await tx.unsafe(`alter table realtime.${name} owner to supabase_realtime_admin`);
      // The local stack's supautils emulation: see local-stack/bootstrap/06_supautils.sql.
      await tx.unsafe(
        `revoke delete, truncate, references, trigger on realtime.${name} from supabase_realtime_admin`,
      );
    });
    created.push(name);
  }
  return created;
}

/**
 * The partitions among `names` whose day is before the day of `now` − 72 h,
 * as upstream compares dates; names not of the `messages_YYYY_MM_DD` form are kept.
 */
export function expiredPartitions(names: readonly string[], now: Date): string[] {
  const limit = isoDay(now.getTime() - MESSAGE_RETENTION_HOURS * 60 * 60 * 1000);
  return names.filter((name) => {
    const match = /^messages_(\d{4})_(\d{2})_(\d{2})$/.exec(name);
    return match !== null && `${match[1]}-${match[2]}-${match[3]}` < limit;
  });
}

/** Drops the partitions of days before `now` − 72 h; returns the names dropped. */
export async function deleteOldMessages(sql: Sql, now: Date = new Date()): Promise<string[]> {
  const partitions = await sql<{ name: string }[]>`
    select child.relname as name
      from pg_catalog.pg_inherits
      join pg_catalog.pg_class parent on pg_inherits.inhparent = parent.oid
      join pg_catalog.pg_class child on pg_inherits.inhrelid = child.oid
      join pg_catalog.pg_namespace ns on ns.oid = child.relnamespace
     where parent.oid = 'realtime.messages'::regclass and ns.nspname = 'realtime'`;
  const dropped = expiredPartitions(partitions.map((row) => row.name), now);
  for (const name of dropped) await sql.unsafe(`drop table if exists realtime.${name}`);
  return dropped;
}

/**
 * Runs the maintenance once now and then every `intervalMs`, as the Realtime
 * janitor does; `stop()` ends it. Failures are logged, never thrown.
 */
export class MessagesPartitionJanitor {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly sql: Sql, private readonly intervalMs = JANITOR_INTERVAL_MS) {}

  /** Runs the first maintenance (awaited: partitions exist when this returns) and schedules the next. */
  async start(): Promise<void> {
    await this.runOnce();
    this.timer = setInterval(() => {
      this.running = this.runOnce().catch((error) => {
        console.error("[realtime] partition maintenance failed:", error);
      });
    }, this.intervalMs);
  }

  /** Deletes old partitions and creates the coming ones. */
  async runOnce(now: Date = new Date()): Promise<void> {
    await deleteOldMessages(this.sql, now);
    await createMessagesPartitions(this.sql, now);
  }

  /** Stops the schedule after the run in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
