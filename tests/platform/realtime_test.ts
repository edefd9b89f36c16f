/**
 * Contract of the emulated Realtime database side, pinned to supabase/realtime:
 * - `realtime.send` (lib/realtime/tenants/repo/migrations/
 *   20260605120000_rename_broadcast_send_warning.ex): inserts a broadcast row,
 *   adds the row's `id` to the payload unless it has one, sets realtime.topic;
 *   any failure is a WARNING, never an error.
 * - partitions (lib/realtime/tenants.ex `create_messages_partitions/1`,
 *   lib/realtime/messages.ex `delete_old_messages/1`): one per UTC day from
 *   yesterday to +3 days, owned by supabase_realtime_admin; older than 72 h dropped.
 *   With no partition for the day, `realtime.send` warns and inserts nothing.
 * Signatures, owners and grants are pinned in supabase/tests/database (pgTAP).
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import {
  createMessagesPartitions,
  expiredPartitions,
  partitionName,
} from "../../local-stack/realtime/partitions.ts";
import { connectAsPlatformAdmin, connectAsPostgres, testStack } from "../support/stack.ts";

Deno.test("realtime.send inserts a broadcast message and adds its id to the payload", async () => {
  const sql = connectAsPostgres();
  const topic = `test:${crypto.randomUUID()}`;
  const ownId = crypto.randomUUID();
  try {
    const topicSeen = await sql.begin(async (tx) => {
      await tx`select realtime.send('{"n": 1}'::jsonb, 'evt', ${topic})`;
      await tx`select realtime.send(${sql.json({ n: 2, id: ownId })}, 'evt', ${topic}, false)`;
      const [row] = await tx<{ topic: string }[]>`select realtime.topic() as topic`;
      return row!.topic;
    });
    assert.equal(topicSeen, topic, "realtime.topic() reports the topic being sent");
    const rows = await sql<
      {
        id: string;
        payload: { n: number; id: string };
        event: string;
        private: boolean;
        extension: string;
      }[]
    >`
      select id, payload, event, private, extension from realtime.messages
       where topic = ${topic} order by payload ->> 'n'`;
    assert.equal(rows.length, 2);
    assert.equal(rows[0]!.payload.id, rows[0]!.id, "the generated id is the row's id");
    assert.deepEqual({ ...rows[0]!, id: undefined, payload: { n: rows[0]!.payload.n } }, {
      id: undefined,
      payload: { n: 1 },
      event: "evt",
      private: true,
      extension: "broadcast",
    });
    assert.equal(rows[1]!.payload.id, ownId, "a payload id of its own is kept");
    assert.equal(rows[1]!.private, false);
  } finally {
    await sql.end();
  }
});

Deno.test("realtime.send in a rolled-back transaction leaves no message", async () => {
  const sql = connectAsPostgres();
  const topic = `test:${crypto.randomUUID()}`;
  try {
    await assert.rejects(sql.begin(async (tx) => {
      await tx`select realtime.send('{}'::jsonb, 'evt', ${topic})`;
      throw new Error("roll back");
    }));
    const [row] = await sql<{ count: number }[]>`
      select count(*)::int as count from realtime.messages where topic = ${topic}`;
    assert.equal(row!.count, 0);
  } finally {
    await sql.end();
  }
});

Deno.test("realtime.messages has a partition per day from yesterday to three days ahead", async () => {
  const sql = connectAsPostgres();
  try {
    const today = Date.UTC(
      new Date().getUTCFullYear(),
      new Date().getUTCMonth(),
      new Date().getUTCDate(),
    );
    const expected = [-1, 0, 1, 2, 3].map((offset) =>
      partitionName(new Date(today + offset * 86_400_000).toISOString().slice(0, 10))
    );
    const rows = await sql<{ name: string; owner: string }[]>`
      select child.relname as name, child.relowner::regrole::text as owner
        from pg_inherits
        join pg_class child on child.oid = pg_inherits.inhrelid
       where pg_inherits.inhparent = 'realtime.messages'::regclass`;
    const partitions = new Map(rows.map((row) => [row.name, row.owner]));
    for (const name of expected) {
      assert.equal(partitions.get(name), "supabase_realtime_admin", `${name} exists`);
    }
  } finally {
    await sql.end();
  }
});

Deno.test("createMessagesPartitions creates the days around now once", async () => {
  const admin = connectAsPlatformAdmin();
  const now = new Date("2031-03-10T12:00:00Z");
  const names = ["2031_03_09", "2031_03_10", "2031_03_11", "2031_03_12", "2031_03_13"]
    .map((day) => `messages_${day}`);
  try {
    assert.deepEqual(await createMessagesPartitions(admin, now), names);
    assert.deepEqual(await createMessagesPartitions(admin, now), [], "idempotent");
    const [bounds] = await admin<{ bound: string }[]>`
      select pg_get_expr(relpartbound, oid) as bound from pg_class
       where oid = 'realtime.messages_2031_03_10'::regclass`;
    assert.equal(
      bounds!.bound,
      "FOR VALUES FROM ('2031-03-10 00:00:00') TO ('2031-03-11 00:00:00')",
    );
  } finally {
    for (const name of names) await admin.unsafe(`drop table if exists realtime.${name}`);
    await admin.end();
  }
});

Deno.test("expiredPartitions keeps 72 hours of days, as upstream", () => {
  const names = [
    "messages_2031_03_06",
    "messages_2031_03_07",
    "messages_2031_03_08",
    "messages_2031_03_10",
    "messages_old",
  ];
  assert.deepEqual(
    expiredPartitions(names, new Date("2031-03-10T12:00:00Z")),
    ["messages_2031_03_06"],
  );
  assert.throws(() => partitionName("2031-3-1"), /day must be YYYY-MM-DD/);
});

Deno.test("a day without a partition: realtime.send warns and inserts nothing", async () => {
  const notices: string[] = [];
  const admin = postgres(testStack.adminDbUrl, {
    max: 1,
    onnotice: (notice) => notices.push(`${notice.severity}: ${notice.message}`),
  });
  const topic = `test:${crypto.randomUUID()}`;
  try {
    await admin.begin(async (tx) => {
      // Only this transaction sees the day without its partition.
      const today = partitionName(new Date().toISOString().slice(0, 10));
      await tx.unsafe(`alter table realtime.messages detach partition realtime.${today}`);
      await tx`set local role postgres`;
      await tx`select realtime.send('{"n": 1}'::jsonb, 'evt', ${topic})`;
      const [row] = await tx<{ count: number }[]>`
        select count(*)::int as count from realtime.messages where topic = ${topic}`;
      assert.equal(row!.count, 0);
      throw new Error("undo the detach");
    }).catch((error: Error) => {
      if (error.message !== "undo the detach") throw error;
    });
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /^WARNING: WarnSendingBroadcastMessage: no partition of relation/);
  } finally {
    await admin.end();
  }
});
