/** Contract of the emulated Realtime database side: realtime.send and realtime.topic(). */
import assert from "node:assert/strict";
import { signaturesOf } from "../support/signatures.ts";
import { connectAsSuperuser } from "../support/stack.ts";

Deno.test("realtime.send has Supabase's signature", async () => {
  const sql = connectAsSuperuser();
  try {
    assert.deepEqual(await signaturesOf(sql, "realtime", "send"), [{
      arguments: "payload jsonb, event text, topic text, private boolean DEFAULT true",
      result: "void",
    }]);
    assert.deepEqual(await signaturesOf(sql, "realtime", "topic"), [{
      arguments: "",
      result: "text",
    }]);
  } finally {
    await sql.end();
  }
});

Deno.test("realtime.send inserts a broadcast message with its topic and private flag", async () => {
  const sql = connectAsSuperuser();
  const topic = `test:${crypto.randomUUID()}`;
  try {
    const topicSeen = await sql.begin(async (tx) => {
      await tx`select realtime.send('{"n": 1}'::jsonb, 'evt', ${topic})`;
      await tx`select realtime.send('{"n": 2}'::jsonb, 'evt', ${topic}, false)`;
      const [row] = await tx<{ topic: string }[]>`select realtime.topic() as topic`;
      return row!.topic;
    });
    assert.equal(topicSeen, topic, "realtime.topic() reports the topic being sent");
    const rows = await sql<
      { payload: { n: number }; event: string; private: boolean; extension: string }[]
    >`
      select payload, event, private, extension from realtime.messages
       where topic = ${topic} order by payload ->> 'n'`;
    assert.deepEqual(rows.map((r) => ({ ...r })), [
      { payload: { n: 1 }, event: "evt", private: true, extension: "broadcast" },
      { payload: { n: 2 }, event: "evt", private: false, extension: "broadcast" },
    ]);
  } finally {
    await sql`delete from realtime.messages where topic = ${topic}`;
    await sql.end();
  }
});

Deno.test("realtime.send in a rolled-back transaction leaves no message", async () => {
  const sql = connectAsSuperuser();
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

Deno.test("realtime.messages has row level security enabled", async () => {
  const sql = connectAsSuperuser();
  try {
    const [row] = await sql<{ relrowsecurity: boolean }[]>`
      select relrowsecurity from pg_class where oid = 'realtime.messages'::regclass`;
    assert.equal(row!.relrowsecurity, true);
  } finally {
    await sql.end();
  }
});
